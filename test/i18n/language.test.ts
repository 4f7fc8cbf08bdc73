import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { translator } from "../../app/i18n/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { logIn, makeUser, setCookieFor } from "../helpers/auth.js";
import { englishLeftIn, hasChinese, visibleText } from "../helpers/english-left.js";
import { type HttpClient, jsonOf, type Reply } from "../helpers/http-client.js";

/**
 * Issue 30, over real HTTP with the real app: which language a request gets (saved preference,
 * then the `lang` cookie, then Accept-Language), the two ways to choose one (GET /language for
 * anyone, POST /account/language when logged in), and that JSON errors and mails follow.
 */

const zh = translator("zh-CN");
const en = translator("en");

const langOf = (reply: Reply) => /<html lang="([^"]*)"/.exec(reply.body)?.[1];

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ autoClose: false });
});
afterAll(async () => {
  await app?.close();
});

async function savedLocale(email: string): Promise<string | null | undefined> {
  const { rows } = await app.pool.query<{ locale: string | null }>(
    "select locale from users where email = $1",
    [email],
  );
  return rows[0]?.locale;
}

async function setSavedLocale(email: string, locale: string | null): Promise<void> {
  await app.pool.query("update users set locale = $2 where email = $1", [email, locale]);
}

describe("Accept-Language", () => {
  test.each([
    ["zh-CN", "zh-CN"],
    ["zh-Hans", "zh-CN"],
    ["zh", "zh-CN"],
    ["zh-SG", "zh-CN"],
    ["zh-Hans-CN", "zh-CN"],
    ["fr, zh;q=0.8", "zh-CN"],
    ["zh-TW", "en"],
    ["zh-Hant", "en"],
    ["en-GB", "en"],
    ["de", "en"],
    ["en;q=0.2, zh-CN;q=0.9", "zh-CN"],
    ["zh-CN;q=0.1, en;q=0.9", "en"],
    [";;;q=zz,,==@@", "en"],
    ["zh-", "en"],
    ["*", "en"],
    ["", "en"],
  ])("%j reads %s on /login", async (header, expected) => {
    const reply = await app
      .client(header === "" ? {} : { "accept-language": header })
      .get("/login");
    expect(reply.status).toBe(200);
    expect(langOf(reply)).toBe(expected);
  });

  test("a forged, oversized Accept-Language or lang cookie is not read: the page answers, in English", async () => {
    // Thousands of tags (each one a Intl.Locale to build) would be work per request for nothing:
    // a header over 1000 characters is ignored, and a lang cookie that is no tag of ours too.
    const flood = Array.from({ length: 600 }, (_, i) => `x${i}-zh;q=0.${i % 9}`).join(", ");
    const longHeader = await app.client({ "accept-language": `${flood}, zh-CN` }).get("/login");
    expect(longHeader.status).toBe(200);
    expect(langOf(longHeader)).toBe("en");
    const cookie = await app
      .client({ "accept-language": "zh-CN", cookie: `lang=${"zh-CN".repeat(500)}` })
      .get("/login");
    expect(cookie.status).toBe(200);
    // The cookie names no language of ours: the header decides.
    expect(langOf(cookie)).toBe("zh-CN");
  });

  test("pages vary on Accept-Language (and Cookie): a cache never gives one reader's language to another; Content-Language says which", async () => {
    const visitor = app.client({ "accept-language": "zh-CN" });
    for (const path of ["/", "/login", "/register", "/nowhere"]) {
      const reply = await visitor.get(path);
      expect(reply.headers.get("content-language"), path).toBe("zh-CN");
      const vary = reply.headers.get("vary") ?? "";
      const parts = vary.toLowerCase().split(/\s*,\s*/);
      expect(parts, `${path}: Vary: ${vary}`).toContain("accept-language");
      expect(parts, `${path}: Vary: ${vary}`).toContain("cookie");
    }
  });
});

describe("the order: saved preference, then cookie, then Accept-Language", () => {
  test("the lang cookie beats the header, both ways; a cookie for no catalogue is ignored", async () => {
    const chinese = app.client({ "accept-language": "en" });
    chinese.cookies.set("lang", "zh-CN");
    expect(langOf(await chinese.get("/login"))).toBe("zh-CN");

    const english = app.client({ "accept-language": "zh-CN" });
    english.cookies.set("lang", "en");
    expect(langOf(await english.get("/login"))).toBe("en");

    const unknown = app.client({ "accept-language": "zh-CN" });
    unknown.cookies.set("lang", "tlh");
    expect(langOf(await unknown.get("/login"))).toBe("zh-CN");
  });

  test("the logged-in user's saved preference beats the cookie and the header", async () => {
    await makeUser(app.pool, "pref@example.com");
    await setSavedLocale("pref@example.com", "zh-CN");
    const client = app.client({ "accept-language": "en" });
    client.cookies.set("lang", "en");
    expect(langOf(await client.get("/login"))).toBe("en");
    await logIn(client, "pref@example.com");
    const account = await client.get("/account");
    expect(account.status).toBe(200);
    expect(langOf(account)).toBe("zh-CN");
    expect(langOf(await client.get("/"))).toBe("zh-CN");
  });
});

describe("the footer's switcher", () => {
  test('links for a visitor, buttons for a user; the current language marked aria-current="true"', async () => {
    const visitor = app.client({ "accept-language": "zh-CN" });
    const page = (await visitor.get("/login?x=1")).body;
    expect(page).toContain(
      '<a href="/language?lang=zh-CN&amp;next=%2Flogin%3Fx%3D1" hreflang="zh-CN" lang="zh-CN" aria-current="true">简体中文</a>',
    );
    expect(page).toContain(
      '<a href="/language?lang=en&amp;next=%2Flogin%3Fx%3D1" hreflang="en" lang="en">English</a>',
    );
    expect(page).not.toContain("&quot;true&quot;");

    await makeUser(app.pool, "switcher@example.com");
    const user = app.client({ "accept-language": "en" });
    await logIn(user, "switcher@example.com");
    const account = (await user.get("/account")).body;
    expect(account).toMatch(
      /<button type="submit" class="link" name="locale" value="en" lang="en" aria-current="true">English<\/button>/,
    );
    expect(account).toMatch(
      /<button type="submit" class="link" name="locale" value="zh-CN" lang="zh-CN">简体中文<\/button>/,
    );
    expect(account).not.toContain("&quot;true&quot;");
  });

  test("on a form's answer to a POST, the switcher goes back to the home page (the POST's address may have no page)", async () => {
    const visitor = app.client({ "accept-language": "zh-CN" });
    await visitor.get("/login");
    const answer = await visitor.post("/login", { email: "nobody@example.com", password: "wrong" });
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('href="/language?lang=en&amp;next=%2F"');
    expect(answer.body).not.toContain("next=%2Flogin");
  });
});

describe("GET /language (the footer's links)", () => {
  test("sets the lang cookie for a year (SameSite=Lax, Path=/) and goes back to `next`", async () => {
    const visitor = app.client({ "accept-language": "en" });
    const reply = await visitor.get("/language?lang=zh-CN&next=%2Fregister%3Fx%3D1");
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/register?x=1");
    const cookie = setCookieFor(reply, "lang") ?? "";
    expect(cookie).toMatch(/^lang=zh-CN;/);
    const maxAge = Number(/;\s*Max-Age=(\d+)/i.exec(cookie)?.[1]);
    const year = 365 * 24 * 60 * 60;
    expect(Math.abs(maxAge - year), cookie).toBeLessThanOrEqual(24 * 60 * 60);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\/(;|$)/i);
    expect(langOf(await visitor.get("/register"))).toBe("zh-CN");

    const back = await visitor.get("/language?lang=en&next=/login");
    expect(back.location).toBe("/login");
    expect(langOf(await visitor.get("/login"))).toBe("en");
  });

  test("takes any tag that reads as one of ours (zh-hans reads zh-CN), and goes home without `next`", async () => {
    const visitor = app.client();
    const reply = await visitor.get("/language?lang=zh-hans");
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/");
    expect(setCookieFor(reply, "lang")).toMatch(/^lang=zh-CN;/);
  });

  test.each([
    ["//evil.example", "%2F%2Fevil.example"],
    ["https://evil.example", "https%3A%2F%2Fevil.example"],
    ["/\\evil.example", "%2F%5Cevil.example"],
    ["CR/LF", "%2F%0D%0ASet-Cookie%3A%20x%3D1"],
    ["LF", "%2Flogin%0Aevil"],
    ["a relative path", "login"],
    ["javascript:", "javascript%3Aalert(1)"],
  ])("a `next` that is not a local path (%s) goes to /", async (_name, next) => {
    const reply = await app.client().get(`/language?lang=zh-CN&next=${next}`);
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/");
    expect(reply.headers.get("set-cookie") ?? "").not.toMatch(/x=1/);
  });

  test("an unknown language: a 400 page in the reader's language, and no cookie", async () => {
    const chinese = app.client({ "accept-language": "zh-CN" });
    const reply = await chinese.get("/language?lang=tlh&next=/login");
    expect(reply.status).toBe(400);
    expect(langOf(reply)).toBe("zh-CN");
    expect(reply.body).toContain(zh("language.unsupported"));
    expect(setCookieFor(reply, "lang")).toBeUndefined();
    expect(chinese.cookies.has("lang")).toBe(false);

    const english = app.client({ "accept-language": "en" });
    const again = await english.get("/language?lang=");
    expect(again.status).toBe(400);
    expect(langOf(again)).toBe("en");
    expect(again.body).toContain(en("language.unsupported"));
    expect(setCookieFor(again, "lang")).toBeUndefined();
  });
});

describe("POST /account/language (the Account page's setting)", () => {
  async function loggedIn(email: string, headers: Record<string, string> = {}) {
    await makeUser(app.pool, email);
    const client = app.client(headers);
    await logIn(client, email);
    expect((await client.get("/account")).status).toBe(200);
    return client;
  }

  test("without the CSRF token: 403, nothing saved", async () => {
    const client = await loggedIn("csrf-lang@example.com");
    const reply = await client.request("POST", "/account/language", { form: { locale: "zh-CN" } });
    expect(reply.status).toBe(403);
    expect(await savedLocale("csrf-lang@example.com")).toBeNull();
    expect(setCookieFor(reply, "lang")).toBeUndefined();
  });

  test("logged out: sent to log in, nothing set", async () => {
    const visitor = app.client();
    await visitor.get("/login");
    const reply = await visitor.post("/account/language", { locale: "zh-CN" });
    expect([302, 303]).toContain(reply.status);
    expect(reply.location ?? "").toMatch(/^\/login\b/);
    expect(setCookieFor(reply, "lang")).toBeUndefined();
  });

  test("an unknown locale is refused and nothing is saved", async () => {
    const client = await loggedIn("unknown-lang@example.com");
    for (const locale of ["tlh", "zh-TW", "x".repeat(200)]) {
      const reply = await client.post("/account/language", { locale });
      expect(reply.status, locale).not.toBe(200);
      expect(setCookieFor(reply, "lang"), locale).toBeUndefined();
      expect(await savedLocale("unknown-lang@example.com"), locale).toBeNull();
      await client.get("/account");
    }
    const json = await client.postJson("/account/language", { locale: "tlh" });
    expect(json.status).toBe(400);
    expect(jsonOf<{ error: string }>(json).error).toBe("unsupported_language");
    expect(await savedLocale("unknown-lang@example.com")).toBeNull();
  });

  test('a locale is saved on the user and in the cookie; "" (the browser\'s language) saves null and clears the cookie', async () => {
    const client = await loggedIn("choose@example.com", { "accept-language": "en" });
    const saved = await client.post("/account/language", { locale: "zh-CN" });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe("/account");
    expect(await savedLocale("choose@example.com")).toBe("zh-CN");
    expect(client.cookies.get("lang")).toBe("zh-CN");
    const account = await client.get("/account");
    expect(langOf(account)).toBe("zh-CN");
    expect(account.body).toContain(zh("language.saved"));

    const cleared = await client.post("/account/language", { locale: "" });
    expect(cleared.status).toBe(303);
    expect(await savedLocale("choose@example.com")).toBeNull();
    expect(client.cookies.has("lang")).toBe(false);
    expect(langOf(await client.get("/account"))).toBe("en");
  });

  test("the preference survives logging out (the cookie) and logging in from a new browser (users.locale)", async () => {
    const client = await loggedIn("survive@example.com", { "accept-language": "en" });
    expect((await client.post("/account/language", { locale: "zh-CN" })).status).toBe(303);
    await client.get("/account");
    const out = await client.post("/logout");
    expect(out.status).toBe(303);
    const login = await client.get("/login");
    expect(langOf(login)).toBe("zh-CN");

    const fresh: HttpClient = app.client({ "accept-language": "en" });
    expect(langOf(await fresh.get("/login"))).toBe("en");
    await logIn(fresh, "survive@example.com");
    expect(langOf(await fresh.get("/account"))).toBe("zh-CN");
  });
});

describe("JSON errors follow the language", () => {
  test("a wrong password: the same error code, the message in Chinese for a Chinese reader", async () => {
    await makeUser(app.pool, "json@example.com");
    const answers: Record<string, { error: string; message: string }> = {};
    for (const language of ["en", "zh-CN"]) {
      const script = app.client({ "accept-language": language });
      await script.get("/login");
      const reply = await script.postJson("/login", {
        email: "json@example.com",
        password: "not the password",
      });
      expect(reply.status).toBe(401);
      answers[language] = jsonOf(reply);
    }
    expect(answers["zh-CN"]?.error).toBe(answers.en?.error);
    expect(hasChinese(answers["zh-CN"]?.message ?? ""), answers["zh-CN"]?.message).toBe(true);
    expect(englishLeftIn(answers["zh-CN"]?.message ?? "")).toEqual([]);
    expect(hasChinese(answers.en?.message ?? "")).toBe(false);
  });

  test("a missing CSRF token: the catalogue's message in the reader's language", async () => {
    const script = app.client({ "accept-language": "zh-CN" });
    await script.get("/login");
    const reply = await script.postJson("/login", { email: "a@example.com", password: "x" }, null);
    expect(reply.status).toBe(403);
    expect(jsonOf(reply)).toEqual({
      error: "invalid_csrf_token",
      message: zh("errors.csrf.message"),
    });
  });
});

describe("mails follow the recipient", () => {
  async function forgot(email: string, language: string) {
    const client = app.client({ "accept-language": language });
    expect((await client.get("/password/forgot")).status).toBe(200);
    expect((await client.post("/password/forgot", { email })).status).toBe(200);
    await app.mailer.idle();
    const mail = app.mailer.outbox?.list().find((m) => m.to === email);
    if (!mail) throw new Error(`no mail to ${email} in the outbox`);
    return mail;
  }

  const chineseMail = (mail: { subject: string; text: string; html: string }) => {
    expect(hasChinese(mail.subject), mail.subject).toBe(true);
    expect(hasChinese(mail.text), mail.text).toBe(true);
    expect(englishLeftIn(mail.subject), mail.subject).toEqual([]);
    expect(englishLeftIn(mail.text), mail.text).toEqual([]);
    expect(englishLeftIn(visibleText(mail.html))).toEqual([]);
    expect(mail.html).toMatch(/<html[^>]* lang="zh-CN"/);
  };

  test("a user who chose Chinese gets Chinese mail, even from an English request", async () => {
    await makeUser(app.pool, "mail-zh@example.com");
    await setSavedLocale("mail-zh@example.com", "zh-CN");
    chineseMail(await forgot("mail-zh@example.com", "en"));
  });

  test("a user who chose English gets English mail, even from a Chinese request", async () => {
    await makeUser(app.pool, "mail-en@example.com");
    await setSavedLocale("mail-en@example.com", "en");
    const mail = await forgot("mail-en@example.com", "zh-CN");
    expect(hasChinese(`${mail.subject}${mail.text}`)).toBe(false);
    expect(mail.html).toMatch(/<html[^>]* lang="en"/);
  });

  test("a user with no preference gets mail in the language of the request", async () => {
    await makeUser(app.pool, "mail-none@example.com");
    chineseMail(await forgot("mail-none@example.com", "zh-CN"));
  });
});
