import { describe, expect, test } from "vitest";
import { msg } from "../../app/i18n/index.js";
import { type MailContent, renderMail } from "../../app/mail/message.js";
import {
  addressChangeRequestedMail,
  addressTakenMail,
  confirmNewAddressMail,
  newDeviceMail,
  passwordChangedMail,
  resetPasswordMail,
  unprovenAccessRemovedMail,
  verifyEmailMail,
} from "../../app/mail/templates.js";
import { chineseMailProblems, hasChinese } from "../helpers/english-left.js";

/**
 * Issue 30: every mail of the core, as a recipient whose language is Chinese gets it: subject,
 * text part and HTML part in Chinese (`<html lang="zh-CN">`), no English sentence left; the same
 * mail in English still reads as before. The features' mails are checked in their own folders
 * (test/features/<name>/i18n.test.ts). Which language a mail is sent in (the recipient's saved
 * one, else the request's) is tested over HTTP in language.test.ts and account-recovery.test.ts.
 */

const APP = "Acme";
const URL = "https://app.example/x/abc";
const HOUR = 3_600_000;

const MAILS: Record<string, MailContent> = {
  "reset password": resetPasswordMail(URL, HOUR),
  "verify email": verifyEmailMail(URL, 24 * HOUR),
  "confirm a new address": confirmNewAddressMail(URL, 24 * HOUR),
  "address taken": addressTakenMail(URL),
  "address change requested": addressChangeRequestedMail("new@example.com", URL),
  "password changed": passwordChangedMail(URL),
  "new device": newDeviceMail({
    device: "Linux 上的 Firefox",
    when: "2026年12月8日 UTC 05:00:00",
    ip: "203.0.113.9",
    sessionsUrl: URL,
  }),
  "unproven access removed": unprovenAccessRemovedMail(
    { removed: [msg("mail.unproven.password")], sessions: 2 },
    URL,
  ),
};

describe("every core mail in Chinese", () => {
  for (const [name, content] of Object.entries(MAILS)) {
    test(name, () => {
      const mail = renderMail(content, APP, "zh-CN");
      expect(chineseMailProblems(mail, [APP])).toEqual([]);
      // The link is in both parts, as it was sent.
      expect(mail.text).toContain(URL);
      expect(mail.html).toContain(URL);
    });
  }
});

test("the same mails in English have no Chinese, and say what they said before", () => {
  for (const [name, content] of Object.entries(MAILS)) {
    const mail = renderMail(content, APP, "en");
    if (name !== "new device") expect(hasChinese(mail.text), name).toBe(false);
    expect(mail.html).toContain('<html lang="en">');
  }
  expect(renderMail(MAILS["reset password"] as MailContent, APP, "en").subject).toBe(
    "Reset your password",
  );
  expect(renderMail(MAILS["reset password"] as MailContent, APP, "en").text).toContain(
    "The link works once, for 60 minutes.",
  );
});

test("a list in a mail is joined as its language joins lists", () => {
  const content = unprovenAccessRemovedMail(
    {
      removed: [msg("mail.unproven.password"), "layout.account"],
      sessions: 0,
    },
    URL,
  );
  const zh = renderMail(content, APP, "zh-CN").text;
  const en = renderMail(content, APP, "en").text;
  expect(zh).toMatch(/、/);
  expect(en).toMatch(/, /);
});
