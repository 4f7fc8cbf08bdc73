import { expect, test } from "vitest";
import { deletedMail, lockedMail, twoFactorResetMail } from "../../../app/features/admin/mails.js";
import { renderMail } from "../../../app/mail/message.js";
import { startTestApp } from "../../helpers/app.js";
import { makeUser } from "../../helpers/auth.js";
import { chineseMailProblems, untranslatedOfSectionIn } from "../../helpers/english-left.js";
import { adminClient } from "./admin-helpers.js";

/**
 * Issue 30, admin in Simplified Chinese: its pages for an administrator who reads Chinese, and
 * its mails in the user's saved language, with no English sentence of the admin section left.
 */

const untranslated = (text: string) => untranslatedOfSectionIn("admin", text);

test("/admin in Chinese, a user's page, an action's message, the audit trail", async () => {
  const app = await startTestApp();
  const { client: admin } = await adminClient(app);
  const ann = await makeUser(app.pool, "ann@example.com");
  // The administrator reads Chinese from now on (their saved preference).
  await app.pool.query("update users set locale = 'zh-CN' where email = 'admin@example.com'");

  const list = await admin.get("/admin");
  expect(list.status).toBe(200);
  expect(list.body).toContain("<h1>管理后台</h1>");
  expect(list.body).toContain("管理员</td>");
  expect(untranslated(list.body)).toEqual([]);

  const user = await admin.get(`/admin/users/${ann.id}`);
  expect(user.status).toBe(200);
  expect(user.body).toContain("<h1>ann@example.com</h1>");
  expect(user.body).toContain("以此用户身份登录</button>");
  expect(untranslated(user.body)).toEqual([]);

  await admin.post(`/admin/users/${ann.id}/sign-out`, {});
  const done = await admin.get(`/admin/users/${ann.id}`);
  expect(done.body).toContain("ann@example.com 已在所有设备上退出登录。");
  expect(done.body).toContain("管理员让你在所有设备上退出登录，");
  expect(untranslated(done.body)).toEqual([]);

  const audit = await admin.get("/admin/audit");
  expect(audit.body).toContain("admin@example.com：全部退出登录");
  expect(untranslated(audit.body)).toEqual([]);
});

test("an admin's mail is in the user's saved language, whatever the admin's", async () => {
  const app = await startTestApp();
  const { client: admin } = await adminClient(app);
  const ann = await makeUser(app.pool, "ann@example.com");
  await app.pool.query("update users set locale = 'zh-CN' where email = 'ann@example.com'");

  const page = await admin.get(`/admin/users/${ann.id}`);
  expect(page.body).toContain("<h1>ann@example.com</h1>");
  expect(page.body).toContain(">Lock</button>");
  await admin.post(`/admin/users/${ann.id}/lock`, {});
  await app.mailer.idle();
  const mail = app.mailer.outbox?.list().find((m) => m.to === "ann@example.com");
  expect(mail?.subject).toBe("你的账户已被锁定");
  expect(mail?.text).toContain("管理员锁定了你的账户");
  expect(mail?.text).toContain("如果你不知道原因，请回复此邮件或联系我们。");
  expect(untranslated(`${mail?.subject}\n${mail?.text}\n${mail?.html}`)).toEqual([]);

  // The admin's own page stays English.
  expect((await admin.get(`/admin/users/${ann.id}`)).body).toContain(
    "ann@example.com is locked: every session ended.",
  );
});

test("each of admin's mails, rendered for a Chinese reader: Chinese in every part, no English left", () => {
  const mails = {
    locked: lockedMail(),
    "two-factor reset": twoFactorResetMail("https://app.example/account/security"),
    deleted: deletedMail(),
  };
  for (const [name, content] of Object.entries(mails)) {
    const mail = renderMail(content, "Acme", "zh-CN");
    expect(chineseMailProblems(mail, ["Acme"]), name).toEqual([]);
  }
});
