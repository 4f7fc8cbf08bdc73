import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";
import { adminClient } from "../features/admin/admin-helpers.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, makeUser } from "../helpers/auth.js";

/**
 * Issue 30, the providers, admin, activity and session-inspector features in Simplified
 * Chinese: pages, errors and mails, with no English sentence of those sections left on them.
 */

const ZH = { "accept-language": "zh-CN" };
const SECTIONS = ["providers", "admin", "activity", "session-inspector"];

type Tree = { [key: string]: string | Tree };
const catalogue = (tag: string) =>
  JSON.parse(readFileSync(join(projectRoot, "locales", `${tag}.json`), "utf8")) as Tree;

function leaves(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === "string") out.set(prefix + key, value);
    else for (const [k, v] of leaves(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

const en = catalogue("en");
const zh = catalogue("zh-CN");
const enLeaves = new Map(SECTIONS.flatMap((s) => [...leaves(en[s] as Tree, `${s}.`)]));
const zhLeaves = new Map(SECTIONS.flatMap((s) => [...leaves(zh[s] as Tree, `${s}.`)]));

/**
 * The English sentences of these sections, as a page would show them: each string's text between
 * its placeholders, the pieces long enough to be words of a sentence (not "Cookie" or "d"), and
 * not the same in Chinese.
 */
const englishSentences = [...enLeaves]
  .filter(([key, text]) => zhLeaves.get(key) !== text)
  .flatMap(([, text]) => text.split(/\{\{[^}]+\}\}/))
  .map((piece) => piece.trim())
  .filter((piece) => piece.length >= 12 && /[a-z] [a-z]/i.test(piece));

const decode = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

function expectNoEnglish(body: string) {
  const text = decode(body);
  const left = englishSentences.filter((sentence) => text.includes(sentence));
  expect(left).toEqual([]);
  // A key with no string in a catalogue shows as itself.
  expect(text).not.toMatch(/\b(providers|admin|activity|session-inspector)\.[a-zA-Z]+\.[a-zA-Z.]+/);
}

describe("the catalogues of these sections", () => {
  test("every key is in both languages", () => {
    const plain = (key: string) => key.replace(/_(one|other)$/, "");
    expect(new Set([...enLeaves.keys()].map(plain))).toEqual(
      new Set([...zhLeaves.keys()].map(plain)),
    );
    expect(englishSentences.length).toBeGreaterThan(50);
  });
});

describe("in Simplified Chinese", () => {
  test("the security page's activity: the events, the devices and a relative time", async () => {
    const app = await startTestApp();
    const { client } = await loggedInClient(app, "li@example.com", {
      headers: {
        ...ZH,
        "user-agent":
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0",
      },
    });
    const page = await client.get("/account/security");
    expect(page.status).toBe(200);
    const section = page.body.slice(page.body.indexOf('id="activity-title"'));
    expect(section).toContain("近期安全活动");
    expect(section).toContain("（使用密码），来自 macOS 上的 Firefox，");
    expect(section).toMatch(/<time [^>]*>(现在|\d+\s*秒钟前)<\/time>/);
    expectNoEnglish(section.slice(0, section.indexOf("</section>")));
  });

  test("the session inspector, its flashes and the countdown's words", async () => {
    const app = await startTestApp();
    const { client } = await loggedInClient(app, "wu@example.com", { headers: ZH });
    const page = await client.get("/account/session");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<h1>会话检查器</h1>");
    expect(page.body).toContain("开发者</a>");
    expect(page.body).toContain('data-expired="已过期"');
    expect(page.body).toContain('data-second="秒"');
    expect(page.body).toContain("<code>req.session.counter</code>");
    // The page's own content (the settings navigation around it is the core's).
    expectNoEnglish(page.body.slice(page.body.indexOf("<h1>")));

    await client.post("/account/session/touch", {});
    const after = await client.get("/account/session");
    expect(after.body).toContain("已刷新：maxAge 原剩余 无，现为 无（originalMaxAge 为 无）。");
    expectNoEnglish(after.body.slice(after.body.indexOf("<h1>")));
  });

  test("/admin, a user's page, an action's message, the audit trail", async () => {
    const app = await startTestApp();
    const { client: admin } = await adminClient(app);
    const ann = await makeUser(app.pool, "ann@example.com");
    // The administrator reads Chinese from now on (their saved preference).
    await app.pool.query("update users set locale = 'zh-CN' where email = 'admin@example.com'");

    const list = await admin.get("/admin");
    expect(list.status).toBe(200);
    expect(list.body).toContain("<h1>管理后台</h1>");
    expect(list.body).toContain("管理员</td>");
    expectNoEnglish(list.body);

    const user = await admin.get(`/admin/users/${ann.id}`);
    expect(user.status).toBe(200);
    expect(user.body).toContain("<h1>ann@example.com</h1>");
    expect(user.body).toContain("以此用户身份登录</button>");
    expectNoEnglish(user.body);

    await admin.post(`/admin/users/${ann.id}/sign-out`, {});
    const done = await admin.get(`/admin/users/${ann.id}`);
    expect(done.body).toContain("ann@example.com 已在所有设备上退出登录。");
    expect(done.body).toContain("管理员让你在所有设备上退出登录，");
    expectNoEnglish(done.body);

    const audit = await admin.get("/admin/audit");
    expect(audit.body).toContain("admin@example.com：全部退出登录");
    expectNoEnglish(audit.body);
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
    expectNoEnglish(`${mail?.subject}\n${mail?.text}\n${mail?.html}`);

    // The admin's own page stays English.
    expect((await admin.get(`/admin/users/${ann.id}`)).body).toContain(
      "ann@example.com is locked: every session ended.",
    );
  });

  test("sign-in buttons, Connected accounts and the provider callback's errors", async () => {
    const app = await startTestApp({
      env: { GITHUB_CLIENT_ID: "an-id", GITHUB_CLIENT_SECRET: "a-secret" },
    });
    const browser = app.client(ZH);
    const login = await browser.get("/login");
    expect(login.body).toContain("使用 GitHub 继续</button>");

    // No sign-in started in this browser.
    const stray = await browser.get("/auth/github/callback?code=abc&state=xyz");
    expect(stray.status).toBe(400);
    expect(stray.body).toContain("使用 GitHub 登录未成功");
    expect(stray.body).toContain("此次登录不是在这个浏览器中发起的");
    expectNoEnglish(stray.body);

    // Started here, but the answer names another state.
    await browser.get("/login");
    const start = await browser.post("/auth/github/start", {});
    expect(start.status).toBe(303);
    const wrong = await browser.get("/auth/github/callback?code=abc&state=not-this-browsers");
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain("使用 GitHub 登录未成功");
    expectNoEnglish(wrong.body);

    const { client } = await loggedInClient(app, "zhao@example.com", { headers: ZH });
    const account = await client.get("/account");
    const section = account.body.slice(account.body.indexOf('id="connected-accounts"'));
    expect(section).toContain("已关联的账户");
    expect(section).toContain("关联 GitHub</button>");
    expectNoEnglish(section.slice(0, section.indexOf("</section>")));
    expect(account.body).toContain("已关联的账户</a>");
  });
});
