import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { catalogueDir, msg, translator } from "../../app/i18n/index.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, makeUser, submitLogin } from "../helpers/auth.js";
import type { HttpClient } from "../helpers/http-client.js";
import { jsonOf } from "../helpers/http-client.js";
import { linkIn, pathOf, type ReceivedMail, startTestSmtp } from "../helpers/mail.js";
import { passkeyToken, registerPasskey } from "../helpers/passkeys.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { shownRecoveryCodes, shownSecret, testClock, totpCode } from "../helpers/totp.js";

/**
 * Two-factor, passkeys and email sign-in in Simplified Chinese: their pages for a browser that
 * asks for zh-CN, their mails for an account whose saved language is zh-CN. Nothing of these
 * sections' English is left on them, and no catalogue key shows instead of its text.
 */
const SECTIONS = ["two-factor", "passkeys", "email-sign-in"] as const;
const ZH = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };

type Tree = { [key: string]: string | Tree };
const catalogue = (tag: string) =>
  JSON.parse(readFileSync(join(catalogueDir, `${tag}.json`), "utf8")) as Tree;

function leaves(tree: Tree, prefix: string): Array<[string, string]> {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string"
      ? [[`${prefix}${key}`, value] as [string, string]]
      : leaves(value, `${prefix}${key}.`),
  );
}

const en = catalogue("en");
const zh = catalogue("zh-CN");
const ours = SECTIONS.flatMap((section) => leaves(en[section] as Tree, `${section}.`));

/** Each English sentence (the parts between placeholders) long enough not to be a lone word. */
const englishParts = [
  ...new Set(
    ours.flatMap(([, text]) =>
      text
        .split(/\{\{[^}]+\}\}/)
        .map((part) => part.trim())
        .filter((part) => part.length >= 8 && part.includes(" ")),
    ),
  ),
];
/** Every key, plural suffixes dropped: none may show on a page in place of its text. */
const keys = [...new Set(ours.map(([key]) => key.replace(/_(one|other)$/, "")))];

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

function expectChineseOnly(text: string, where: string) {
  for (const part of englishParts) {
    expect(text, `${where}: English "${part}"`).not.toContain(part);
    expect(text, `${where}: English "${part}"`).not.toContain(escapeHtml(part));
  }
  for (const key of keys) expect(text, `${where}: key ${key}`).not.toContain(key);
  expect(text, where).toMatch(/[\u4e00-\u9fff]/);
}

/** One section of the security page, by its heading's id. */
function sectionOf(body: string, titleId: string): string {
  const start = body.indexOf(`aria-labelledby="${titleId}"`);
  expect(start, titleId).toBeGreaterThan(-1);
  return body.slice(start, body.indexOf("</section>", start));
}

function expectMailChinese(mail: ReceivedMail, where: string) {
  expectChineseOnly(mail.subject, `${where} (subject)`);
  expectChineseOnly(mail.text, `${where} (text)`);
  expectChineseOnly(mail.html, `${where} (html)`);
}

test("the catalogues: every key of these sections is in both languages (plurals: _one/_other in English, _other in Chinese)", () => {
  const zhKeys = new Set(
    SECTIONS.flatMap((section) => leaves(zh[section] as Tree, `${section}.`)).map(([key]) =>
      key.replace(/_(one|other)$/, ""),
    ),
  );
  expect([...zhKeys].sort()).toEqual([...keys].sort());
  for (const [key] of ours) {
    if (key.endsWith("_one"))
      expect(ours.map(([k]) => k)).toContain(key.replace(/_one$/, "_other"));
  }
  const zhLeaves = SECTIONS.flatMap((section) => leaves(zh[section] as Tree, `${section}.`));
  expect(zhLeaves.filter(([key]) => key.endsWith("_one"))).toEqual([]);
  // What the first proof of an address says it removed.
  const t = translator("zh-CN");
  expect(t("two-factor.removed")).toBe("两步验证（包括其密钥和恢复码）");
  expect(t(msg("passkeys.removedCount", { count: 2 }))).toBe("2 个通行密钥");
  expect(translator("en")(msg("passkeys.removedCount", { count: 1 }))).toBe("1 passkey");
});

test("two-factor in Chinese: the setup page, its wrong code, the recovery codes, the security section, the login step and its wrong codes", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client } = await loggedInClient(app, "mei@example.com", { headers: ZH });

  const setup = await client.get("/account/two-factor/setup");
  expect(setup.status).toBe(200);
  expect(setup.body).toContain("<h1>设置两步验证</h1>");
  expect(setup.body).toContain("或者在应用中手动输入此密钥：");
  expect(setup.body).toContain('data-copied="已复制。"');
  expectChineseOnly(setup.body, "setup page");
  const secret = shownSecret(setup.body);

  const wrong = await client.post("/account/two-factor/setup", { code: "000000" });
  expect(wrong.status).toBe(400);
  expect(wrong.body).toContain("验证码不正确。请输入应用当前显示的 6 位数字。");
  expectChineseOnly(wrong.body, "setup page, wrong code");

  const codes = await client.post("/account/two-factor/setup", {
    code: totpCode(secret, clock.now()),
  });
  expect(codes.status).toBe(200);
  expect(shownRecoveryCodes(codes.body)).toHaveLength(10);
  expect(codes.body).toContain("两步验证已开启。");
  expect(codes.body).toContain('data-downloaded="已下载。"');
  expectChineseOnly(codes.body, "recovery codes page");

  const security = await client.get("/account/security");
  const section = sectionOf(security.body, "two-factor-title");
  expect(section).toContain("还剩 10 个恢复码。");
  expectChineseOnly(section, "security page, two-factor section");

  // The login step, in a new browser that asks for Chinese.
  clock.advance(30_000);
  const browser = app.client(ZH);
  const password = await submitLogin(browser, "mei@example.com");
  expect(password.location).toBe("/login/two-factor");
  const step = await browser.get("/login/two-factor");
  expect(step.status).toBe(200);
  expect(step.body).toContain("<h1>两步验证</h1>");
  expect(step.body).toContain("<title>两步验证");
  expectChineseOnly(step.body, "login step");

  const refused = await browser.post("/login/two-factor", { code: "000000" });
  expect(refused.status).toBe(401);
  expect(refused.body).toContain("验证码不正确。请输入当前显示的验证码。");
  expectChineseOnly(refused.body, "login step, wrong code");

  const badRecovery = await browser.post("/login/two-factor", {
    recovery_code: "AAAA-BBBB-CCCC-DDDD",
  });
  expect(badRecovery.status).toBe(401);
  expect(badRecovery.body).toContain("恢复码不正确，或已被使用过。");

  // A script is answered in Chinese too.
  const json = await browser.postJson("/login/two-factor", { code: "000000" });
  expect(json.status).toBe(401);
  expect(jsonOf<{ errors: Record<string, string> }>(json).errors.code).toBe(
    "验证码不正确。请输入当前显示的验证码。",
  );
});

test("passkeys in Chinese: the security page's section, its times and the script's messages; the flash and a refusal", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "lan@example.com", { headers: ZH });
  const empty = await client.get("/account/security");
  expect(sectionOf(empty.body, "passkeys-title")).toContain("还没有通行密钥。");

  const added = await registerPasskey(client, new SoftAuthenticator(app.url));
  expect(added.status, added.body).toBe(201);
  const page = await client.get("/account/security");
  expect(page.body).toContain("已添加通行密钥：“");
  const section = sectionOf(page.body, "passkeys-title");
  expect(section).toContain('<h2 id="passkeys-title">通行密钥</h2>');
  expect(section).toContain("添加于 <time");
  expect(section).toContain("从未使用");
  // The time, as Chinese readers read it ("现在", "3 分钟前").
  expect(section).toMatch(/data-local="title">[^<]*[\u4e00-\u9fff][^<]*<\/time>/);
  // What public/passkeys.js says when something goes wrong, in the page's language.
  expect(section).toContain("通行密钥请求已取消或超时。");
  expectChineseOnly(section, "security page, passkeys section");

  const id = /data-passkey-id="([^"]+)"/.exec(section)?.[1];
  const renamed = await client.postJson(
    `/account/passkeys/${id}/name`,
    { name: "" },
    passkeyToken(page.body),
  );
  expect(renamed.status).toBe(400);
  expect(jsonOf<{ message: string }>(renamed).message).toBe("请为通行密钥起个名字。");
});

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
  expectChineseOnly(sent.body, "sent page");
  const mail = await smtp.nextMailTo("hua@example.com");
  expectMailChinese(mail, "second sign-in mail");

  const wrong = await browser.post("/login/email/code", { code: "12" });
  expect(wrong.status).toBe(400);
  expect(wrong.body).toContain("请输入邮件中的 6 位验证码。");
  expectChineseOnly(wrong.body, "sent page, malformed code");
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
  expectChineseOnly(own.body, "link page");

  const elsewhere = app.client(ZH);
  const other = await elsewhere.get(link);
  expect(other.body).toContain("此链接只能在你申请它的浏览器中登录。");
  expectChineseOnly(other.body, "link page, another browser");
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
