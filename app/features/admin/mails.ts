import type { MailContent } from "../../mail/message.js";

/** The mails an administrator's action sends the user: catalogue keys, read in their language. */

const CONTACT = "admin.mail.contact";

export const lockedMail = (): MailContent => ({
  subject: "admin.mail.locked.subject",
  paragraphs: ["admin.mail.locked.body"],
  footer: [CONTACT],
});

export const twoFactorResetMail = (securityUrl: string): MailContent => ({
  subject: "admin.mail.twoFactorReset.subject",
  paragraphs: ["admin.mail.twoFactorReset.body", "admin.mail.twoFactorReset.again"],
  action: { label: "admin.mail.twoFactorReset.action", url: securityUrl },
  footer: [CONTACT],
});

export const deletedMail = (): MailContent => ({
  subject: "admin.mail.deleted.subject",
  paragraphs: ["admin.mail.deleted.body"],
  footer: [CONTACT],
});
