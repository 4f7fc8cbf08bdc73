import { msg } from "../../i18n/index.js";
import type { MailContent } from "../../mail/message.js";

const minutes = (ms: number) => Math.round(ms / 60_000);

/**
 * The link and the code, for an account (or, with EMAIL_SIGN_IN_CREATES_ACCOUNTS, for a new
 * one). Catalogue keys: read in the recipient's language when sent.
 */
export const signInMail = (
  link: string,
  code: string,
  lifetimeMs: number,
  newAccount: boolean,
): MailContent => ({
  subject: "email-sign-in.mail.subject",
  paragraphs: [
    newAccount ? "email-sign-in.mail.askedNew" : "email-sign-in.mail.asked",
    "email-sign-in.mail.openLink",
    // The code as it is (no key): six digits, the same in every language.
    () => code,
    msg("email-sign-in.mail.lifetime", { count: minutes(lifetimeMs) }),
  ],
  action: { label: "email-sign-in.mail.signIn", url: link },
  footer: ["email-sign-in.mail.ignore"],
});

/** An address with no account: says so (the page did not), and offers sign-up. */
export const noAccountMail = (registerUrl: string): MailContent => ({
  subject: "email-sign-in.mail.noAccount.subject",
  paragraphs: ["email-sign-in.mail.noAccount.asked", "email-sign-in.mail.noAccount.create"],
  action: { label: "email-sign-in.mail.noAccount.action", url: registerUrl },
  footer: ["email-sign-in.mail.noAccount.ignore"],
});
