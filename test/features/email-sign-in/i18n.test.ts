import { expect, test } from "vitest";
import { noAccountMail, signInMail } from "../../../app/features/email-sign-in/mails.js";
import { renderMail } from "../../../app/mail/message.js";
import { startTestApp } from "../../helpers/app.js";
import { makeUser } from "../../helpers/auth.js";
import {
  chineseMailProblems,
  hasChinese,
  untranslatedOfSectionIn,
} from "../../helpers/english-left.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { jsonOf } from "../../helpers/http-client.js";
import { linkIn, pathOf, type ReceivedMail, startTestSmtp } from "../../helpers/mail.js";

/**
 * Email sign-in in Simplified Chinese: its pages for a browser that asks for zh-CN, its mails for
 * an account whose saved language is zh-CN. Nothing of the section's English is left on them,
 * and no catalogue key shows instead of its text.
 */
const ZH = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };

function expectChinese(text: string, where: string) {
  expect(untranslatedOfSectionIn("email-sign-in", text), where).toEqual([]);
  expect(hasChinese(text), where).toBe(true);
}

function expectMailChinese(mail: ReceivedMail, where: string) {
  expectChinese(mail.subject, `${where} (subject)`);
  expectChinese(mail.text, `${where} (text)`);
  expectChinese(mail.html, `${where} (html)`);
}

/** "Email me a sign-in link" from the login page: the sent page. */
async function askForLink(client: HttpClient, email: string) {
  await client.get("/login");
  return client.post("/login/email", { email, password: "" });
}

test("email sign-in in Chinese: the sent page, its wrong code, the link page in either browser, and the mails in the account's saved language", async () => {
  const smtp = await startTestSmtp({ ignoreSubjects: ["New sign-in to your account"] });
  const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  const user = await makeUser(app.pool, "hua@example.com");
  await app.pool.query(
    "update users set locale = 'zh-CN', email_verified_at = now() where id = $1",
    [user.id],
  );

  // Asked from a browser in English: the mail is in the account's language.
  const english = app.client();
  const sentInEnglish = await askForLink(english, "hua@example.com");
  expect(sentInEnglish.status).toBe(200);
  expect(sentInEnglish.body).toContain("Check your mail");
  const first = await smtp.nextMailTo("hua@example.com");
  expect(first.subject).toBe("你的登录链接");
  expectMailChinese(first, "sign-in mail");
  expect(first.text).toMatch(/^\d{6}$/m);
  expect(first.text).toContain("15 分钟内有效");

  // A browser in Chinese: the sent page, a wrong code, the link page.
  const browser = app.client(ZH);
  const sent = await askForLink(browser, "hua@example.com");
  expect(sent.status).toBe(200);
  expect(sent.body).toContain("<h1>请查收邮件</h1>");
  expect(sent.body).toContain("6 位数字。15 分钟内有效，只能使用一次。");
  expectChinese(sent.body, "sent page");
  const mail = await smtp.nextMailTo("hua@example.com");
  expectMailChinese(mail, "second sign-in mail");

  const wrong = await browser.post("/login/email/code", { code: "12" });
  expect(wrong.status).toBe(400);
  expect(wrong.body).toContain("请输入邮件中的 6 位验证码。");
  expectChinese(wrong.body, "sent page, malformed code");
  const code = /^(\d{6})$/m.exec(mail.text)?.[1] as string;
  const wrongCode = await browser.post("/login/email/code", {
    code: code === "000000" ? "111111" : "000000",
  });
  expect(wrongCode.status).toBe(401);
  expect(wrongCode.body).toContain("验证码错误、已被使用或已过期。请查看最新的一封邮件。");

  const link = pathOf(linkIn(mail, "/login/email/"));
  const own = await browser.get(link);
  expect(own.status).toBe(200);
  expect(own.body).toContain("点击按钮，使用邮件中的链接登录。");
  expectChinese(own.body, "link page");

  const elsewhere = app.client(ZH);
  const other = await elsewhere.get(link);
  expect(other.body).toContain("此链接只能在你申请它的浏览器中登录。");
  expectChinese(other.body, "link page, another browser");
  const pressed = await elsewhere.post(link);
  expect(pressed.status).toBe(403);
  expect(pressed.body).toContain("请在申请链接的浏览器中打开它");

  const invalid = await browser.get("/login/email/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  expect(invalid.status).toBe(400);
  expect(invalid.body).toContain(
    "此链接无效、已被使用、已过期，或者已有更新的链接发出。请重新申请。",
  );
  expect(invalid.body).toContain("重新申请登录链接");

  const scripted = app.client(ZH);
  await scripted.get("/login");
  const script = await scripted.postJson("/login/email", { email: "hua@example.com" });
  expect(script.status, script.body).toBe(200);
  expect(jsonOf<{ message: string }>(script).message).toContain("请查收邮件");

  // An address with no account: the mail in the language of the request.
  await askForLink(app.client(ZH), "nobody@example.com");
  const none = await smtp.nextMailTo("nobody@example.com");
  expect(none.subject).toBe("登录请求：此邮箱地址没有账户");
  expectMailChinese(none, "no-account mail");
});

test("each of email sign-in's mails, rendered for a Chinese reader: Chinese in every part, the code as it is, no English left", () => {
  const link = "https://app.example/login/email/abc";
  const mails = {
    "sign-in": signInMail(link, "123456", 15 * 60_000, false),
    "sign-in, new account": signInMail(link, "123456", 15 * 60_000, true),
    "no account": noAccountMail("https://app.example/register"),
  };
  for (const [name, content] of Object.entries(mails)) {
    const mail = renderMail(content, "Acme", "zh-CN");
    expect(chineseMailProblems(mail, ["Acme"]), name).toEqual([]);
    if (name !== "no account") expect(mail.text, name).toContain("123456");
  }
});
