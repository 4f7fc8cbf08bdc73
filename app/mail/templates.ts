import { type Message, msg, type Translate } from "../i18n/index.js";
import type { MailContent } from "./message.js";

/**
 * Every mail the app sends, worded once, in the catalogues (`mail.*`): each read in the
 * recipient's language when it is sent. Links are absolute (APP_URL).
 */

const NOT_YOU = "mail.notYou";
const minutes = (ms: number) => Math.round(ms / 60_000);
const hours = (ms: number) => Math.round(ms / 3_600_000);
// "a, b, c" in English (as the mail always said it), "a、b、c" in Chinese.
const LIST: Intl.ListFormatOptions = { type: "conjunction", style: "narrow" };

export const resetPasswordMail = (url: string, lifetimeMs: number): MailContent => ({
  subject: "mail.reset.subject",
  paragraphs: ["mail.reset.asked", msg("mail.reset.lifetime", { count: minutes(lifetimeMs) })],
  action: { label: "mail.reset.action", url },
  footer: [NOT_YOU],
});

export const verifyEmailMail = (url: string, lifetimeMs: number): MailContent => ({
  subject: "mail.verify.subject",
  paragraphs: ["mail.verify.asked", msg("mail.verify.lifetime", { count: hours(lifetimeMs) })],
  action: { label: "mail.verify.action", url },
  footer: [NOT_YOU],
});

export const confirmNewAddressMail = (url: string, lifetimeMs: number): MailContent => ({
  subject: "mail.newAddress.subject",
  paragraphs: [
    "mail.newAddress.asked",
    msg("mail.newAddress.lifetime", { count: hours(lifetimeMs) }),
  ],
  action: { label: "mail.newAddress.action", url },
  footer: [NOT_YOU],
});

/** To a new address that already has an account: says so to its owner only, never on the page. */
export const addressTakenMail = (loginUrl: string): MailContent => ({
  subject: "mail.taken.subject",
  paragraphs: ["mail.taken.text"],
  action: { label: "mail.taken.action", url: loginUrl },
  footer: ["mail.taken.notYou"],
});

export const addressChangeRequestedMail = (newEmail: string, accountUrl: string): MailContent => ({
  subject: "mail.changeRequested.subject",
  paragraphs: [msg("mail.changeRequested.text", { email: newEmail })],
  action: { label: "mail.changeRequested.action", url: accountUrl },
  footer: ["mail.changeRequested.notYou"],
});

export const passwordChangedMail = (forgotUrl: string): MailContent => ({
  subject: "mail.passwordChanged.subject",
  paragraphs: ["mail.passwordChanged.text"],
  action: { label: "mail.passwordChanged.action", url: forgotUrl },
  footer: ["mail.passwordChanged.notYou"],
});

/**
 * A sign-in from a browser that never signed in to the account before (app/activity/sign-in.ts).
 * `device` and `when` as the recipient reads them (deviceName and exactTime in the mail's locale).
 */
export const newDeviceMail = (signIn: {
  device: string;
  when: string;
  ip: string;
  sessionsUrl: string;
}): MailContent => ({
  subject: "mail.newDevice.subject",
  paragraphs: [
    msg("mail.newDevice.text", { device: signIn.device, when: signIn.when, ip: signIn.ip }),
  ],
  action: { label: "mail.newDevice.action", url: signIn.sessionsUrl },
  footer: ["mail.newDevice.notYou"],
});

/** What proving an address that nobody had proven took away (app/auth/recovery/address-proof.ts). */
export interface UnprovenAccess {
  /**
   * What went, as each feature says it: Messages such as `{ key: "passkeys.removedCount",
   * values: { count: 2 } }` ("2 passkeys"), or `"mail.unproven.password"`.
   */
  removed: Message[];
  /** Sessions ended, besides the one that proved the address. */
  sessions: number;
}

/** To the address just proven: what was added while nobody had proven it, and is gone now. */
export const unprovenAccessRemovedMail = (
  removed: UnprovenAccess,
  securityUrl: string,
): MailContent => {
  const what = removed.removed;
  return {
    subject: "mail.unproven.subject",
    paragraphs: [
      "mail.unproven.text",
      // "Removed: 2 passkeys, the password and ...": the list joined as the mail's language does.
      ...(what.length > 0
        ? [
            (t: Translate, locale: string) =>
              t(
                msg("mail.unproven.removed", {
                  list: new Intl.ListFormat(locale, LIST).format(what.map((item) => t(item))),
                }),
              ),
          ]
        : []),
      ...(removed.sessions > 0 ? ["mail.unproven.sessions"] : []),
      "mail.unproven.again",
    ],
    action: { label: "mail.unproven.action", url: securityUrl },
    footer: ["mail.unproven.notYou"],
  };
};
