import type { MailContent } from "../../mail/message.js";

const minutes = (ms: number) => Math.round(ms / 60_000);

/** The link and the code, for an account (or, with EMAIL_SIGN_IN_CREATES_ACCOUNTS, for a new one). */
export const signInMail = (
  link: string,
  code: string,
  lifetimeMs: number,
  newAccount: boolean,
): MailContent => ({
  subject: "Your sign-in link",
  paragraphs: [
    newAccount
      ? "Someone (we hope you) asked to sign in with this address. There is no account for it yet: the link makes one."
      : "Someone (we hope you) asked to sign in to the account with this address.",
    "Open the link below in the browser where you asked for it, and press “Sign in”. Reading your mail on another device? Type this code on the page where you asked instead:",
    code,
    `The link and the code work once, for ${minutes(lifetimeMs)} minutes; asking again replaces them.`,
  ],
  action: { label: "Sign in", url: link },
  footer: [
    "If this wasn't you, you can ignore this mail: nobody signs in without the link or the code.",
  ],
});

/** An address with no account: says so (the page did not), and offers sign-up. */
export const noAccountMail = (registerUrl: string): MailContent => ({
  subject: "Sign-in requested: no account for this address",
  paragraphs: [
    "Someone (we hope you) asked to sign in with this address, but there is no account for it, so there is no link or code to sign in with.",
    "If you meant to, you can create an account:",
  ],
  action: { label: "Create an account", url: registerUrl },
  footer: ["If this wasn't you, you can ignore this mail."],
});
