import type { MailContent } from "../../mail/message.js";

/** The mails an administrator's action sends the user. */

const CONTACT = "If you don't know why, reply to this mail or contact us.";

export const lockedMail = (): MailContent => ({
  subject: "Your account was locked",
  paragraphs: [
    "An administrator locked your account: every session ended, and signing in is refused until it is unlocked.",
  ],
  footer: [CONTACT],
});

export const twoFactorResetMail = (securityUrl: string): MailContent => ({
  subject: "Two-factor was turned off on your account",
  paragraphs: [
    "An administrator turned off your two-factor authentication (its key and recovery codes are deleted), usually because you asked for help signing in.",
    "Set it up again on your security page.",
  ],
  action: { label: "Set up two-factor", url: securityUrl },
  footer: [CONTACT],
});

export const deletedMail = (): MailContent => ({
  subject: "Your account was deleted",
  paragraphs: ["An administrator deleted your account and everything it held."],
  footer: [CONTACT],
});
