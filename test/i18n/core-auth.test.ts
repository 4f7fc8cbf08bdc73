import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import english from "@zxcvbn-ts/language-en";
import { afterEach, describe, expect, test } from "vitest";
import { answerClientError } from "../../app/http/client-errors.js";
import en from "../../locales/en.json" with { type: "json" };
import zh from "../../locales/zh-CN.json" with { type: "json" };
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, makeUser, PASSWORD } from "../helpers/auth.js";
import { jsonOf, type Reply } from "../helpers/http-client.js";
import { rawRequest } from "../helpers/raw-http.js";

/**
 * The core's sign-in pages and messages in Simplified Chinese (issue 30): a browser that asks
 * for zh-CN (Accept-Language) gets the home, login, sign-up and confirmation pages, their field
 * errors, the login limit's 429 and a script's JSON errors in Chinese, and none of the English
 * sentences of those sections.
 */

const ZH = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };
const SECTIONS = ["home", "auth", "validation", "password", "sudo", "core", "events"] as const;

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ""): Map<string, string> {
  const found = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") found.set(path, value);
    else for (const [k, v] of leaves(value, path)) found.set(k, v);
  }
  return found;
}

const section = (catalogue: Tree, name: string) => leaves((catalogue[name] ?? {}) as Tree, name);

/** The English sentences of these sections a Chinese page must not show. */
const englishSentences = SECTIONS.flatMap((name) =>
  [...section(en as Tree, name).values()].filter(
    (text) => text.length >= 12 && !text.includes("$t(") && !text.includes("{{"),
  ),
);

function expectNoEnglish(reply: Reply) {
  // Entities as a page writes them ("it&#39;s"), so the sentences match the text as shown.
  const text = reply.body
    .replaceAll("&#39;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&");
  for (const sentence of englishSentences) expect(text, sentence).not.toContain(sentence);
}

const errorOf = (body: string, field: string) =>
  new RegExp(`<p class="error" id="${field}-error" role="alert">([^<]*)</p>`).exec(body)?.[1];

describe("the catalogues", () => {
  const plural = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, "");

  test("every key of these sections is in both languages (plurals by each language's forms)", () => {
    for (const name of SECTIONS) {
      const enKeys = new Set([...section(en as Tree, name).keys()].map(plural));
      const zhKeys = new Set([...section(zh as Tree, name).keys()].map(plural));
      expect([...zhKeys].sort(), name).toEqual([...enKeys].sort());
      for (const key of section(zh as Tree, name).keys())
        expect(key, "zh-CN has one plural form").not.toMatch(/_one$/);
    }
  });

  test("every warning and suggestion of the password checker has a sentence", () => {
    const enKeys = section(en as Tree, "password");
    const zhKeys = section(zh as Tree, "password");
    for (const kind of ["warnings", "suggestions"] as const) {
      for (const name of Object.keys(english.translations[kind])) {
        expect(enKeys.has(`password.${kind}.${name}`), name).toBe(true);
        expect(zhKeys.has(`password.${kind}.${name}`), name).toBe(true);
      }
    }
  });
});

describe("in Simplified Chinese", () => {
  test("the home page, for a visitor and after deleting an account", async () => {
    const app = await startTestApp();
    const visitor = app.client(ZH);
    const home = await visitor.get("/");
    expect(home.status).toBe(200);
    expect(home.body).toContain('<html lang="zh-CN">');
    expect(home.body).toContain("<title>首页 · ");
    expect(home.body).toContain("<h1>一个能看清会话的身份验证起步项目</h1>");
    expect(home.body).toContain(
      "浏览公开页面既不会设置 Cookie，也不会写入数据库记录：<code>saveUninitialized: false</code>。",
    );
    expect(home.body).toContain('<a class="button" href="/register">创建账户</a>');
    expectNoEnglish(home);

    const deleted = await visitor.get("/?deleted=1");
    expect(deleted.body).toContain("你的账户已删除。");
    expectNoEnglish(deleted);

    // English for a browser that does not ask for Chinese.
    expect((await app.client().get("/")).body).toContain(
      "<h1>An auth starter that shows its sessions</h1>",
    );
  });

  test("the login page, with the reason it is shown", async () => {
    const app = await startTestApp();
    const visitor = app.client(ZH);
    const login = await visitor.get("/login?expired=1");
    expect(login.status).toBe(200);
    expect(login.body).toContain("<h1>登录</h1>");
    expect(login.body).toContain("你的会话已结束。请重新登录以继续。");
    expect(login.body).toContain('<label for="email">电子邮箱</label>');
    expect(login.body).toContain('<label for="password">密码</label>');
    expect(login.body).toContain('<label for="remember">在此设备上记住我</label>');
    expect(login.body).toContain('<a href="/password/forgot">忘记密码？</a>');
    expect(login.body).toContain('还没有账户？<a href="/register">创建账户</a>。');
    expectNoEnglish(login);
  });

  test("a wrong password, and the login limit's 429, on the login page", async () => {
    const app = await startTestApp({ loginLimits: { perIp: 1, perAccount: 1 } });
    await makeUser(app.pool, "li@example.com");
    const visitor = app.client(ZH);
    await visitor.get("/login");
    const wrong = await visitor.post("/login", { email: "li@example.com", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain("电子邮箱或密码不正确。");
    expectNoEnglish(wrong);

    const limited = await visitor.post("/login", { email: "li@example.com", password: "nope" });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatch(/登录尝试次数过多。请在 \d+ 分钟后重试。/);
    expect(limited.body).not.toContain("Too many");
    expectNoEnglish(limited);
  });

  test("the sign-up page, its field errors and the password hint's sentences", async () => {
    const app = await startTestApp();
    const visitor = app.client(ZH);
    const form = await visitor.get("/register");
    expect(form.body).toContain("<h1>创建账户</h1>");
    expect(form.body).toContain("至少 12 个字符。使用一句口令最容易记住。");
    expect(form.body).toContain('已有账户？<a href="/login">登录</a>。');
    // The browser script's sentences, from the page: 11 characters still needed, in Chinese.
    expect(form.body).toContain("还需要 11 个字符（至少 12 个）。");
    expect(form.body).toContain("太容易被猜到：试试几个互不相关的词。");
    expectNoEnglish(form);

    const invalid = await visitor.post("/register", { email: "x", password: "short" });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid.body, "email")).toBe("请输入格式如 name@example.com 的电子邮箱地址。");
    expect(errorOf(invalid.body, "password")).toBe("密码至少需要 12 个字符。");
    expectNoEnglish(invalid);

    await visitor.get("/register");
    const empty = await visitor.post("/register", { email: "", password: "" });
    expect(errorOf(empty.body, "email")).toBe("请输入你的电子邮箱地址。");
    expect(errorOf(empty.body, "password")).toBe("密码至少需要 12 个字符。");

    for (const [password, reason] of [
      ["password1234", /常用密码/],
      ["aaaaaaaaaaaaaaaa", /^像“aaa”这样重复的字符很容易被猜到。/],
      ["              ", /^密码不能只包含空格。$/],
    ] as const) {
      await visitor.get("/register");
      const weak = await visitor.post("/register", { email: "weak@example.com", password });
      expect(weak.status, password).toBe(400);
      expect(errorOf(weak.body, "password"), password).toMatch(reason);
      expectNoEnglish(weak);
    }

    await makeUser(app.pool, "taken@example.com");
    await visitor.get("/register");
    const taken = await visitor.post("/register", {
      email: "taken@example.com",
      password: PASSWORD,
    });
    expect(taken.status).toBe(409);
    expect(errorOf(taken.body, "email")).toBe(
      "此电子邮箱无法用于注册。如果你已有账户，请直接登录。",
    );

    await visitor.get("/register");
    const made = await visitor.post("/register", { email: "new@example.com", password: PASSWORD });
    expect(made.status).toBe(303);
    const account = await visitor.get(made.location ?? "/account");
    expect(account.body).toContain("欢迎！你的账户已准备就绪。");
  });

  test("the confirmation page (sudo mode) and its errors", async () => {
    const app = await startTestApp();
    const { client } = await loggedInClient(app, "mei@example.com", { headers: ZH });
    const page = await client.get("/account/confirm?next=/account/security");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>确认是你本人 · ");
    expect(page.body).toContain("<h1>确认是你本人</h1>");
    expect(page.body).toContain("进行此更改需要你在最近 10 分钟内登录过。请输入密码以继续。");
    expect(page.body).toContain('<button type="submit">确认</button>');
    expectNoEnglish(page);

    const empty = await client.post("/account/confirm", { password: "" });
    expect(empty.status).toBe(400);
    expect(errorOf(empty.body, "password")).toBe("请输入你的密码。");
    await client.get("/account/confirm");
    const wrong = await client.post("/account/confirm", { password: "not my password at all" });
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong.body, "password")).toBe("密码不正确。");
    expectNoEnglish(wrong);
  });

  test("a script's JSON errors: their message in Chinese, their codes unchanged", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "bo@example.com");
    const script = app.client(ZH);
    const token = jsonOf<{ csrfToken: string }>(await script.getJson("/login")).csrfToken;

    const invalid = await script.postJson("/login", { email: "", password: "" }, token);
    expect(invalid.status).toBe(400);
    expect(jsonOf(invalid)).toEqual({
      error: "invalid",
      message: "请输入你的电子邮箱地址。",
      errors: { email: "请输入你的电子邮箱地址。", password: "请输入你的密码。" },
    });

    const wrong = await script.postJson(
      "/login",
      { email: "bo@example.com", password: "wrong password here" },
      token,
    );
    expect(wrong.status).toBe(401);
    expect(jsonOf(wrong)).toEqual({
      error: "invalid",
      message: "电子邮箱或密码不正确。",
      errors: { form: "电子邮箱或密码不正确。" },
    });

    const unauthenticated = await script.getJson("/account");
    expect(unauthenticated.status).toBe(401);
    expect(jsonOf(unauthenticated)).toEqual({ error: "unauthenticated", message: "请先登录。" });
  });
});

describe("the page for a request Node's parser refuses", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function bareServer(): Promise<string> {
    const server = createServer((_req, res) => res.end("ok"));
    server.on("clientError", answerClientError("Starter"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    close = () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  test("in the request's language when it says one (Accept-Language, the lang cookie), else English", async () => {
    const url = await bareServer();
    const tooLarge = await rawRequest(url, {
      path: "/",
      headers: [
        ["Accept-Language", "zh-CN"],
        ["Cookie", `sid=${"v".repeat(20_000)}`],
      ],
    });
    expect(tooLarge.status).toBe(431);
    expect(tooLarge.body).toContain('<html lang="zh-CN">');
    expect(tooLarge.body).toContain("<h1>请求过大</h1>");
    expect(tooLarge.body).toContain(">返回首页</a>");

    const bad = await rawRequest(url, {
      path: "/",
      headers: [
        ["Cookie", "lang=zh-CN"],
        ["X-Bad", "a\0b"],
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain("<h1>请求有误</h1>");
    expect(bad.body).toContain("无法理解此请求。请返回后重试。");

    const english = await rawRequest(url, { path: "/a b" });
    expect(english.status).toBe(400);
    expect(english.body).toContain('<html lang="en">');
    expect(english.body).toContain("<h1>Bad request</h1>");
    expect(english.body).toContain(">Back to the home page</a>");
  });
});
