import { expect, test } from "vitest";
import { msg, translator } from "../../app/i18n/index.js";
import { renderMail } from "../../app/mail/message.js";
import { unprovenAccessRemovedMail } from "../../app/mail/templates.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, logIn, makeUser, PASSWORD } from "../helpers/auth.js";
import { linkIn, NEW_DEVICE_SUBJECT, pathOf, startTestSmtp } from "../helpers/mail.js";

/**
 * The account area, recovery by mail and the core's mails in Simplified Chinese: pages in the
 * reader's language (Accept-Language here), mails in the recipient's saved language, else in the
 * language of the request that caused them.
 */

const ZH = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };
const EN = { "accept-language": "en-US,en;q=0.9" };
const zh = translator("zh-CN");

/** A key of these areas left untranslated would show as itself ("recovery.forgot.title"). */
const UNTRANSLATED =
  /(?<![\w/.-])(account|security|sessions|recovery|settings|dev|mail|device)\.[a-z][\w.]*[a-z]\b(?![\w/-]|\.\w)/;

function expectChinese(body: string) {
  expect(body).toContain('<html lang="zh-CN">');
  // Text only: attributes and scripts name files and routes.
  const text = body
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ");
  expect(text).not.toMatch(UNTRANSLATED);
}

async function appWithSmtp() {
  // Logging in from new test browsers also mails sign-in notices: not this story's mails.
  const smtp = await startTestSmtp({
    ignoreSubjects: [NEW_DEVICE_SUBJECT, zh("mail.newDevice.subject")],
  });
  const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  return { app, smtp };
}

test("the account pages in Chinese: account, security, sessions (times and devices too), change of address", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "zhang@example.com", { headers: ZH });

  const account = await client.get("/account");
  expect(account.status).toBe(200);
  expectChinese(account.body);
  expect(account.body).toContain("<title>账户 ·");
  expect(account.body).toContain(
    "你的电子邮件地址及其验证状态。当前登录账户：<strong>zhang@example.com</strong>。",
  );
  expect(account.body).toContain("电子邮件地址");
  expect(account.body).toContain("未验证");
  expect(account.body).toContain("重新发送");
  // The settings navigation's labels are keys of the catalogue too.
  expect(account.body).toMatch(/<nav class="settings-nav" aria-label="设置">/);
  expect(account.body).toContain(">会话和设备</a>");

  const security = await client.get("/account/security");
  expect(security.status).toBe(200);
  expectChinese(security.body);
  for (const text of [
    "修改密码",
    "当前密码",
    "新密码",
    "至少 12 个字符。",
    "危险操作",
    "删除账户",
  ]) {
    expect(security.body).toContain(text);
  }

  const sessions = await client.get("/account/sessions");
  expect(sessions.status).toBe(200);
  expectChinese(sessions.body);
  expect(sessions.body).toContain("<h1>会话和设备</h1>");
  expect(sessions.body).toMatch(/<time [^>]*>[^<]*(分钟前|秒前|刚刚|现在)[^<]*<\/time>/);
  expect(sessions.body).toContain('<span class="badge">当前会话</span>');
  // Node's fetch says "node": no browser a parser knows.
  expect(sessions.body).toContain('<td class="device">未知浏览器');
  expect(sessions.body).toContain('data-label="登录时间"');

  const email = await client.get("/account/email");
  expect(email.status).toBe(200);
  expectChinese(email.body);
  expect(email.body).toContain("<h1>更改你的电子邮件地址</h1>");
  expect(email.body).toContain("当前地址：<strong>zhang@example.com</strong>。");

  // Field errors and flashes of these forms too.
  const same = await client.post("/account/email", {
    new_email: "zhang@example.com",
    current_password: PASSWORD,
  });
  expect(same.status).toBe(400);
  expect(same.body).toContain("这已经是你的地址了。");
  await client.get("/account/sessions");
  await client.post("/account/sessions/revoke-others");
  const after = await client.get("/account/sessions");
  expect(after.body).toContain("已退出其他 0 个会话的登录。");

  // A flash saying a mail was sent links the development outbox (no SMTP server here), whose
  // pages are in Chinese too; the mail itself is in the language of the request that sent it.
  await client.get("/account");
  await client.post("/account/email/resend");
  const resent = await client.get("/account");
  expect(resent.body).toMatch(
    /<p class="flash info" role="status">我们已向 zhang@example\.com 发送了新链接。 <a href="\/dev\/mail">/,
  );
  await app.mailer.idle();
  const outbox = await client.get("/dev/mail");
  expectChinese(outbox.body);
  expect(outbox.body).toContain("<h1>开发用发件箱</h1>");
  expect(outbox.body).toContain("未设置 <code>SMTP_URL</code> 时");
  const id = /href="\/dev\/mail\/(\d+)"/.exec(outbox.body)?.[1];
  const mail = await client.get(`/dev/mail/${id}`);
  expectChinese(mail.body);
  expect(mail.body).toContain("<h1>确认你的电子邮件地址</h1>");
  expect(mail.body).toContain("<title>确认你的电子邮件地址 ·");
  expect(mail.body).toContain("<dt>收件人</dt>");
});

test("forgot password, its sent state, a reset link's page and an invalid link, in Chinese", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "li@example.com");
  const visitor = app.client(ZH);

  const form = await visitor.get("/password/forgot");
  expect(form.status).toBe(200);
  expectChinese(form.body);
  expect(form.body).toContain("<h1>忘记密码了？</h1>");
  expect(form.body).toContain("发送重置链接");

  const sent = await visitor.post("/password/forgot", { email: "li@example.com" });
  expect(sent.status).toBe(200);
  expectChinese(sent.body);
  expect(sent.body).toContain("如果该地址有对应的账户，我们已发送重置其密码的链接。请查收邮件。");
  // JSON clients get the sentence in their language too.
  const script = app.client(ZH);
  const { csrfToken } = JSON.parse((await script.getJson("/password/forgot")).body);
  const json = await script.postJson(
    "/password/forgot",
    { email: "nobody@example.com" },
    csrfToken,
  );
  expect(json.status).toBe(200);
  expect(JSON.parse(json.body).message).toBe(zh("recovery.forgot.sent"));

  // No saved language: the mail is in the language of the request that asked for it.
  const mail = await smtp.nextMailTo("li@example.com");
  expect(mail.subject).toBe("重置你的密码");
  const link = linkIn(mail, "/password/reset/");
  const reset = await visitor.get(pathOf(link));
  expect(reset.status).toBe(200);
  expectChinese(reset.body);
  expect(reset.body).toContain("<h1>设置新密码</h1>");
  expect(reset.body).toContain("至少 12 个字符。使用一句口令最容易。");

  const invalid = await visitor.get("/password/reset/not-a-real-token");
  expect(invalid.status).toBe(400);
  expectChinese(invalid.body);
  expect(invalid.body).toContain("<h1>此链接无法使用</h1>");
  expect(invalid.body).toContain(zh("recovery.invalidLink.message"));
  expect(invalid.body).toContain(">重新申请密码重置链接</a>");
});

test("a user whose saved language is Chinese gets the reset, password-changed and verification mails in Chinese, whatever the request's language", async () => {
  const { app, smtp } = await appWithSmtp();
  const user = await makeUser(app.pool, "wang@example.com");
  await app.pool.query("update users set locale = 'zh-CN' where id = $1", [user.id]);

  // Verification ("Resend" on the account page), logged in from an English browser.
  const browser = app.client(EN);
  await logIn(browser, "wang@example.com");
  await browser.get("/account");
  expect((await browser.post("/account/email/resend")).status).toBe(303);
  const verify = await smtp.nextMailTo("wang@example.com");
  expect(verify.subject).toBe("确认你的电子邮件地址");
  expect(verify.text).toContain("请打开下面的链接，确认这是你的地址。");
  expect(verify.text).toMatch(/该链接只能使用一次，有效期 \d+ 小时。/);
  expect(verify.text).toContain("确认我的地址：http");
  expect(verify.html).toContain('<html lang="zh-CN">');
  expect(verify.html).toContain("确认我的地址</a>");
  expect(verify.html).toContain("或将此链接粘贴到浏览器中：");

  // Forgot password from an English browser that is not logged in.
  const visitor = app.client(EN);
  await visitor.get("/password/forgot");
  const asked = await visitor.post("/password/forgot", { email: "wang@example.com" });
  expect(asked.body).toContain('<html lang="en">');
  const reset = await smtp.nextMailTo("wang@example.com");
  expect(reset.subject).toBe("重置你的密码");
  expect(reset.text).toContain("有人（希望是你本人）申请重置使用此地址的账户的密码。");
  expect(reset.text).toMatch(/该链接只能使用一次，有效期 \d+ 分钟。/);
  expect(reset.text).toContain(zh("mail.notYou"));
  expect(reset.html).toContain('<html lang="zh-CN">');
  expect(reset.html).toContain("<title>重置你的密码 ·");

  // The reset, from that English browser: the notice of the change is in Chinese too.
  const link = linkIn(reset, "/password/reset/");
  await visitor.get(pathOf(link));
  const done = await visitor.post(pathOf(link), { password: "a completely new passphrase" });
  expect(done.status).toBe(303);
  const changed = await smtp.nextMailTo("wang@example.com");
  expect(changed.subject).toBe("你的密码已修改");
  expect(changed.text).toContain("你账户的密码刚刚被修改。");
  expect(changed.text).toContain("如果这不是你本人的操作，请在此重置：http");
  expect(changed.html).toContain('<html lang="zh-CN">');
});

test("a user with no saved language gets mails in the language of the request: Chinese at sign-up, English after", async () => {
  const { app, smtp } = await appWithSmtp();
  const browser = app.client(ZH);
  await browser.get("/register");
  const signedUp = await browser.post("/register", {
    email: "zhao@example.com",
    password: PASSWORD,
  });
  expect(signedUp.status).toBe(303);
  const verify = await smtp.nextMailTo("zhao@example.com");
  expect(verify.subject).toBe("确认你的电子邮件地址");
  expect(verify.html).toContain('<html lang="zh-CN">');

  const english = app.client(EN);
  await english.get("/password/forgot");
  await english.post("/password/forgot", { email: "zhao@example.com" });
  const reset = await smtp.nextMailTo("zhao@example.com");
  expect(reset.subject).toBe("Reset your password");
  expect(reset.text).toContain("The link works once, for");
  expect(reset.html).toContain('<html lang="en">');

  // A flash that says a mail was sent: Chinese, and marked so (the outbox link in development).
  await browser.get("/account");
  await browser.post("/account/email/resend");
  const page = await browser.get("/account");
  expect(page.body).toContain("我们已向 zhao@example.com 发送了新链接。");
});

test("what the first proof of an address removed: a list as each language writes one", () => {
  const mail = unprovenAccessRemovedMail(
    { removed: ["mail.unproven.password", msg("device.browser", { browser: "X" })], sessions: 2 },
    "https://app.example/account/security",
  );
  const en = renderMail(mail, "App", "en");
  expect(en.text).toContain("Removed: the password, X.");
  expect(en.text).toContain("Also, every session was logged out.");
  const chinese = renderMail(mail, "App", "zh-CN");
  expect(chinese.subject).toBe("你账户的部分登录方式已被移除");
  expect(chinese.text).toContain("已移除：密码、X。");
  expect(chinese.html).toContain("已移除：密码、X。");
});
