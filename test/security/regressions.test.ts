import signature from "cookie-signature";
import { describe, expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import {
  countSessionRows,
  loggedInClient,
  logIn,
  makeUser,
  PASSWORD,
  sessionIdFromCookie,
  sessionIdOf,
  sessionRow,
  setCookieFor,
  submitLogin,
} from "../helpers/auth.js";
import type { HttpClient, Reply } from "../helpers/http-client.js";
import { PROBE_REGENERATE, PROBE_WRITE } from "../helpers/probe-routes.js";

/**
 * Security properties held as tests, each one a way this kind of app has gone wrong before:
 * session fixation, session IDs in logs, cookie flags, SQL injection, missing headers.
 */

describe("session fixation", () => {
  /**
   * The login and sign-up forms start no session, so an attacker cannot get an anonymous session
   * from them; a later feature of an app built on this one might (a cart). Such a session,
   * made here straight in the store with a correctly signed cookie, is what gets planted.
   */
  async function plantedAnonymousSession(app: TestApp): Promise<{ cookie: string; id: string }> {
    const id = "an-anonymous-session-id-planted-by-the-attacker";
    const expires = new Date(Date.now() + 3_600_000);
    await app.pool.query("insert into session (sid, sess, expire) values ($1, $2, $3)", [
      hashStoreKey(id),
      JSON.stringify({ cookie: { originalMaxAge: null, path: "/", httpOnly: true }, cart: [1] }),
      expires,
    ]);
    const signed = `s:${signature.sign(id, app.config.sessionSecrets[0] as string)}`;
    return { cookie: encodeURIComponent(signed), id };
  }

  test("a session cookie planted before login is not the logged-in session, and is gone from the store", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "ann@example.com");
    const planted = await plantedAnonymousSession(app);
    const attacker = app.client();
    attacker.cookies.set("sid", planted.cookie);
    expect(await sessionRow(app.pool, planted.id)).toBeDefined();

    const ann = app.client();
    ann.cookies.set("sid", planted.cookie);
    const reply = await logIn(ann, "ann@example.com");
    const loggedInId = sessionIdOf(ann) as string;
    expect(loggedInId).not.toBe(planted.id);
    expect(setCookieFor(reply, "sid")).toMatch(/^sid=s%3A/);
    expect(await sessionRow(app.pool, planted.id)).toBeUndefined();

    // The attacker's copy of the cookie logs no one in.
    const page = await attacker.get("/account");
    expect(page.status).toBe(303);
    expect(page.location).toBe("/login?next=%2Faccount&expired=1");
    expect((await ann.get("/account")).status).toBe(200);
  });

  test("the same for a new account: a session the visitor already had is not the one that is logged in", async () => {
    const app = await startTestApp();
    const planted = await plantedAnonymousSession(app);
    const visitor = app.client();
    visitor.cookies.set("sid", planted.cookie);
    await visitor.get("/register");
    const reply = await visitor.post("/register", { email: "new@example.com", password: PASSWORD });
    expect(reply.status).toBe(303);
    expect(sessionIdOf(visitor)).not.toBe(planted.id);
    expect(await sessionRow(app.pool, planted.id)).toBeUndefined();
  });
});

test("no session ID, signed cookie or store key is ever written to the logs", async () => {
  // The probe routes: a session write, and a new session ID as the app renews one.
  const app = await startTestApp({ probeRoutes: true });
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client({ "user-agent": "log-test" });
  const seen: Reply[] = [];
  const track = async (reply: Promise<Reply>) => {
    seen.push(await reply);
    return seen.at(-1) as Reply;
  };

  await track(browser.get("/login"));
  await track(browser.post("/login", { email: "ann@example.com", password: "wrong password" }));
  await track(browser.post("/login", { email: "ann@example.com", password: PASSWORD }));
  await track(browser.get("/account"));
  await track(browser.getJson("/account"));
  await track(browser.post(PROBE_WRITE));
  await track(browser.get("/account"));
  await track(browser.post(PROBE_REGENERATE));
  await track(browser.get("/account"));
  await track(browser.post("/account/password", { current_password: "no", new_password: "x" }));
  await track(browser.request("POST", PROBE_WRITE, { form: { _csrf: "forged" } }));
  await track(browser.get("/nowhere"));
  // A script's token travels in a header: redacted like the cookies.
  await track(browser.postJson(PROBE_WRITE, {}, browser.csrfToken() ?? null));
  const headerToken = browser.csrfToken() as string;
  const device = browser.cookies.get("device") as string;
  const formToken = browser.cookies.get("csrf") as string;
  await track(browser.post("/logout"));

  const values = seen.flatMap((reply) =>
    reply.setCookies
      .filter((line) => line.startsWith("sid=s%3A"))
      .map((line) => line.slice("sid=".length, line.indexOf(";"))),
  );
  const ids = [...new Set(values.map(sessionIdFromCookie))];
  // Two sessions: the one login made, the one the renewal made (the form starts none).
  expect(ids).toHaveLength(2);
  expect(device).toBeDefined();
  expect(formToken).toBeDefined();
  const secrets = [
    headerToken,
    device,
    decodeURIComponent(device),
    formToken,
    ...ids,
    ...ids.map(hashStoreKey),
    ...values,
    ...values.map((value) => decodeURIComponent(value)),
    ...values.map((value) =>
      decodeURIComponent(value).slice(decodeURIComponent(value).lastIndexOf(".") + 1),
    ),
  ];

  const text = app.logs.text();
  // The scan is not vacuous: every request was logged, with its cookie header redacted.
  expect(
    app.logs
      .entries()
      .filter((entry) => entry.msg === "request completed" || entry.msg === "request errored")
      .length,
  ).toBeGreaterThanOrEqual(seen.length);
  expect(text).toContain('"cookie":"[redacted]"');
  expect(text).toContain('"set-cookie":"[redacted]"');
  for (const secret of secrets) expect(text.includes(secret), secret).toBe(false);
});

test("production behind a trusted proxy: the cookie is __Host-sid; Path=/; HttpOnly; Secure; SameSite=Lax", async () => {
  const app = await startTestApp({
    env: {
      NODE_ENV: "production",
      TRUST_PROXY: "1",
      SESSION_SECRET: "a-production-secret-of-at-least-32-chars",
    },
  });
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client({ "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" });
  const flags = /^__Host-sid=s%3A[^;]+; Path=\/(; Expires=[^;]+)?; HttpOnly; Secure; SameSite=Lax$/;

  const form = await browser.get("/login");
  expect(setCookieFor(form, "__Host-sid")).toBeUndefined();
  const login = await browser.post("/login", { email: "ann@example.com", password: PASSWORD });
  expect(login.status).toBe(303);
  expect(setCookieFor(login, "__Host-sid")).toMatch(flags);
  expect(setCookieFor(login, "__Host-sid")).not.toMatch(/Domain=/i);
  const account = await browser.get("/account");
  expect(account.status).toBe(200);
  expect(setCookieFor(account, "__Host-sid")).toMatch(flags);
  // Every cookie is __Host- prefixed, HttpOnly and Secure: the session's, the form's CSRF
  // cookie and the device cookie.
  for (const reply of [form, login, account]) {
    for (const line of reply.setCookies) {
      expect(line).toMatch(/^__Host-(sid|csrf|device)=[^;]+;( Max-Age=\d+;)? Path=\/;/);
      expect(line).toMatch(/; HttpOnly; Secure; SameSite=(Lax|Strict)$/);
      if (line.startsWith("__Host-sid=")) expect(line).toMatch(flags);
    }
  }
});

describe("SQL injection", () => {
  const PAYLOADS = [
    "' or '1'='1",
    "' or 1=1 --",
    "'; drop table users; --",
    '"; drop table session; --',
    "ann@example.com' --",
    "ann@example.com'; update users set password_hash = 'x'; --",
    "' union select id, email, password_hash, created_at, updated_at from users --",
    "1) or (1=1",
    "$1",
    "\\",
    "'; select pg_sleep(10); --",
  ];

  test("strings in every field, query and header are harmless: nobody logs in, the tables are intact, no SQL error", async () => {
    const app = await startTestApp({
      loginLimits: { perIp: 10_000, perAccount: 10_000, currentPasswordPerUser: 10_000 },
    });
    const { client: ann, user } = await loggedInClient(app, "ann@example.com");
    const users = async () =>
      (await app.pool.query("select id, email, password_hash from users order by id")).rows;
    const before = await users();

    for (const payload of PAYLOADS) {
      // Login: as email, as password, as both, as next; with the payload as a browser name.
      const visitor: HttpClient = app.client({ "user-agent": payload });
      for (const [email, password] of [
        [payload, PASSWORD],
        ["ann@example.com", payload],
        [payload, payload],
      ] as const) {
        const reply = await submitLogin(visitor, email, { password, next: `/${payload}` });
        expect([400, 401], `login ${email} / ${password}`).toContain(reply.status);
      }
      expect((await visitor.get("/account")).status).toBe(303);
      expect(
        (
          await visitor.get(
            `/login?next=${encodeURIComponent(payload)}&expired=${encodeURIComponent(payload)}`,
          )
        ).status,
      ).toBe(200);

      // Sign-up.
      await visitor.get("/register");
      const signup = await visitor.post("/register", { email: payload, password: payload });
      expect(signup.status).toBe(400);

      // Ann's account forms.
      const forms: Array<[string, Record<string, string>]> = [
        ["/account/sessions/revoke", { key: payload }],
        ["/account/password", { current_password: payload, new_password: `${payload}${payload}` }],
      ];
      for (const [path, fields] of forms) {
        await ann.get("/account");
        const reply = await ann.post(path, fields);
        expect([303, 400], path).toContain(reply.status);
      }
      // A session cookie and an unknown page.
      const forged = app.client();
      forged.cookies.set("sid", encodeURIComponent(`s:${payload}`));
      expect((await forged.get("/account")).status).toBe(303);
      expect((await forged.get(`/${encodeURIComponent(payload)}`)).status).toBe(404);
    }

    expect(await users()).toEqual(before);
    expect(before).toEqual([expect.objectContaining({ id: user.id, email: "ann@example.com" })]);
    expect((await ann.get("/account")).status).toBe(200);
    expect(await countSessionRows(app.pool)).toBeGreaterThan(0);
    const errors = app.logs.entries().filter((entry) => Number(entry.level) >= 50);
    expect(errors).toEqual([]);
    expect(app.logs.text()).not.toMatch(/syntax error|DatabaseError|pg_sleep\(10\) *\)/);
  }, 120_000);
});

test("every kind of answer carries the security headers: CSP without 'unsafe-inline', no framing, nosniff, a referrer policy, no X-Powered-By", async () => {
  const app = await startTestApp();
  const { client: ann } = await loggedInClient(app, "ann@example.com");
  const visitor = app.client();
  const answers: Array<[string, Reply]> = [
    ["home", await visitor.get("/")],
    ["login form", await visitor.get("/login")],
    ["account page", await ann.get("/account")],
    ["account as JSON", await ann.getJson("/account")],
    ["redirect (303)", await visitor.get("/account")],
    ["stylesheet", await visitor.get("/static/app.css")],
    ["script", await visitor.get("/static/local-times.js")],
    ["health probe", await visitor.get("/healthz")],
    ["readiness probe", await visitor.get("/readyz")],
    ["404", await visitor.get("/nowhere")],
    ["403 (CSRF)", await visitor.request("POST", "/login", { form: { email: "a" } })],
    ["413", await visitor.request("POST", "/login", { form: { email: "a".repeat(20_000) } })],
    [
      "400 (bad JSON)",
      await visitor.request("POST", "/login", {
        headers: { "content-type": "application/json" },
        body: "{",
      }),
    ],
    [
      "401 (wrong password)",
      await submitLogin(visitor, "ann@example.com", { password: "wrong password" }),
    ],
  ];
  for (const [what, reply] of answers) {
    const csp = reply.headers.get("content-security-policy") ?? "";
    expect(csp, what).toContain("default-src 'self'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("script-src 'self'");
    expect(csp, what).toContain("object-src 'none'");
    expect(csp, what).not.toContain("unsafe-inline");
    expect(csp, what).not.toContain("unsafe-eval");
    expect(reply.headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(reply.headers.get("referrer-policy"), what).toBe("no-referrer");
    expect(reply.headers.get("x-powered-by"), what).toBeNull();
  }
  expect(answers.map(([, reply]) => reply.status)).toEqual([
    200, 200, 200, 200, 303, 200, 200, 200, 200, 404, 403, 413, 400, 401,
  ]);
});
