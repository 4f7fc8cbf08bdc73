import type { MailContent } from "./message.js";

/** Every mail the app sends, worded once. Links are absolute (APP_URL). */

const NOT_YOU =
  "If this wasn't you, you can ignore this mail: nothing changes unless the link is opened.";
const minutes = (ms: number) => Math.round(ms / 60_000);
const hours = (ms: number) => Math.round(ms / 3_600_000);

export const resetPasswordMail = (url: string, lifetimeMs: number): MailContent => ({
  subject: "Reset your password",
  paragraphs: [
    "Someone (we hope you) asked to reset the password of the account with this address.",
    `The link works once, for ${minutes(lifetimeMs)} minutes.`,
  ],
  action: { label: "Choose a new password", url },
  footer: [NOT_YOU],
});

export const verifyEmailMail = (url: string, lifetimeMs: number): MailContent => ({
  subject: "Confirm your email address",
  paragraphs: [
    "Confirm that this is your address by opening the link below.",
    `The link works once, for ${hours(lifetimeMs)} hours.`,
  ],
  action: { label: "Confirm my address", url },
  footer: [NOT_YOU],
});

export const confirmNewAddressMail = (url: string, lifetimeMs: number): MailContent => ({
  subject: "Confirm your new email address",
  paragraphs: [
    "Someone (we hope you) asked to use this address for their account.",
    `Open the link below to make the change. It works once, for ${hours(lifetimeMs)} hours.`,
  ],
  action: { label: "Use this address", url },
  footer: [NOT_YOU],
});

/** To a new address that already has an account: says so to its owner only, never on the page. */
export const addressTakenMail = (loginUrl: string): MailContent => ({
  subject: "Your address was offered for another account",
  paragraphs: [
    "Someone asked to use this address for an account, but you already have an account with it, so nothing was changed.",
  ],
  action: { label: "Log in", url: loginUrl },
  footer: ["If this wasn't you, you can ignore this mail."],
});

export const addressChangeRequestedMail = (newEmail: string, accountUrl: string): MailContent => ({
  subject: "A change of your email address was requested",
  paragraphs: [
    `Someone logged in to your account asked to change its address to ${newEmail}. It changes only once the link sent there is opened.`,
  ],
  action: { label: "Review your account", url: accountUrl },
  footer: [
    "If this wasn't you, change your password now: someone else knows it, and the change can still be stopped.",
  ],
});

export const passwordChangedMail = (forgotUrl: string): MailContent => ({
  subject: "Your password was changed",
  paragraphs: [
    "The password of your account was just changed. Sessions logged in with the old password were logged out.",
  ],
  action: { label: "If this wasn't you, reset it here", url: forgotUrl },
  footer: ["If this wasn't you, reset your password at once and check your account's address."],
});

/** A sign-in from a browser that never signed in to the account before (app/activity/sign-in.ts). */
export const newDeviceMail = (signIn: {
  device: string;
  when: string;
  ip: string;
  sessionsUrl: string;
}): MailContent => ({
  subject: "New sign-in to your account",
  paragraphs: [
    `Your account was just signed in to from a device that had not been used with it before: ${signIn.device}, at ${signIn.when}, from the address ${signIn.ip}.`,
  ],
  action: { label: "Review your sessions", url: signIn.sessionsUrl },
  footer: [
    "If this was you, there is nothing to do. If not, end that session there and change your password.",
  ],
});

/** What proving an address that nobody had proven took away (app/auth/recovery/address-proof.ts). */
export interface UnprovenAccess {
  /** What went, as each feature says it: "2 passkeys", "two-factor authentication (...)". */
  removed: string[];
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
    subject: "Ways into your account were removed",
    paragraphs: [
      "The address of your account was just confirmed from this mailbox, for the first time. Until then anyone could have made the account, or added to it, with this address, so what was added before was removed.",
      ...(what.length > 0 ? [`Removed: ${what.join(", ")}.`] : []),
      ...(removed.sessions > 0 ? ["Also, every session was logged out."] : []),
      "If you added them yourself, add them again on the security page.",
    ],
    action: { label: "Review your account's security", url: securityUrl },
    footer: [
      'If you did not make this account, someone else did with your address: it is yours now. Choose a password with "Forgot your password?" on the login page if you have not.',
    ],
  };
};
