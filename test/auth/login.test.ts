import argon2 from "argon2";
import { afterEach, describe, expect, test, vi } from "vitest";
import { startTestApp } from "../helpers/app.js";
import {
  countSessionRows,
  logIn,
  makeUser,
  PASSWORD,
  sessionIdOf,
  sessionRow,
  submitLogin,
} from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";

const INCORRECT = "Email or password is incorrect.";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("logging in", () => {
  test("takes you to your account on a new session; looking at the login page wrote nothing", async () => {
    const app = await startTestApp();
    const user = await makeUser(app.pool, "ann@example.com");
    const browser = app.client();

    const loginPage = await browser.get("/login");
    expect(loginPage.status).toBe(200);
    // The form's CSRF token is stateless (a signed cookie): no session cookie, no row.
    expect(sessionIdOf(browser)).toBeUndefined();
    expect(browser.cookies.has("csrf")).toBe(true);
    expect(await countSessionRows(app.pool)).toBe(0);

    const reply = await browser.post("/login", { email: "ann@example.com", password: PASSWORD });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/account");
    // One session cookie, the new session's: never a second, conflicting Set-Cookie.
    expect(reply.setCookies.filter((line) => line.startsWith("sid="))).toHaveLength(1);
    const after = sessionIdOf(browser) as string;
    expect((await sessionRow(app.pool, after))?.sess.passport).toEqual({ user: user.id });
    expect(await countSessionRows(app.pool)).toBe(1);

    const account = await browser.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain("Logged in as <strong>ann@example.com</strong>");
  });

  test("the email is not case-sensitive, and a logged-in visitor is sent on from the login page", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "bob@example.com");
    const browser = app.client();
    await logIn(browser, "BOB@Example.com");

    const again = await browser.get("/login?next=/account%3Ftab%3Dsessions");
    expect(again.status).toBe(303);
    expect(again.location).toBe("/account?tab=sessions");
  });

  test("spaces around the email (a phone keyboard's autocomplete) are ignored, as at sign-up", async () => {
    const app = await startTestApp();
    const browser = app.client();
    await browser.get("/register");
    // Sign-up trims the email before storing it...
    const registered = await browser.post("/register", {
      email: " kim@example.com ",
      password: PASSWORD,
    });
    expect(registered.status).toBe(303);
    await browser.post("/logout");

    // ...so typing it the same way at login must find the account.
    const reply = await submitLogin(app.client(), " kim@example.com ");
    expect(reply.status, "login with the email exactly as typed at sign-up").toBe(303);
  });

  test("an empty form is answered with a message beside each field", async () => {
    const app = await startTestApp();
    const browser = app.client();
    await browser.get("/login");
    const reply = await browser.post("/login", { email: "", password: "" });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain(
      '<p class="error" id="email-error" role="alert">Enter your email address.</p>',
    );
    expect(reply.body).toContain(
      '<p class="error" id="password-error" role="alert">Enter your password.</p>',
    );
  });
});

describe("a failed login does not tell whether the account exists", () => {
  test("unknown email and wrong password: same status, same page, and both check a password hash", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "carol@example.com");
    const verify = vi.spyOn(argon2, "verify");

    const attempt = async (email: string) => {
      const browser = app.client();
      await browser.get("/login");
      const token = browser.csrfToken() as string;
      verify.mockClear();
      const started = performance.now();
      const reply = await browser.post("/login", { email, password: "not the password" });
      const ms = performance.now() - started;
      // The page with the typed email and this form's token taken out: nothing else may differ.
      const page = reply.body.replaceAll(email, "EMAIL").replaceAll(token, "TOKEN");
      return { status: reply.status, page, ms, verifies: verify.mock.calls.length };
    };

    // The first unknown email also computes the dummy hash once; time the later ones.
    await attempt("warm-up@example.com");
    const unknown = await attempt("nobody@example.com");
    const wrong = await attempt("carol@example.com");

    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.page).toContain(
      `<p class="flash error" role="alert" id="form-error">${INCORRECT}</p>`,
    );
    expect(unknown.page).toBe(wrong.page);
    // Both paths run one argon2 verification, so they take about as long.
    expect(unknown.verifies).toBe(1);
    expect(wrong.verifies).toBe(1);
    expect(unknown.ms).toBeGreaterThan(5);
    expect(wrong.ms).toBeGreaterThan(5);
  });

  test("JSON clients get the same 401 for both", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "dan@example.com");
    const answers = [];
    for (const email of ["dan@example.com", "nobody@example.com"]) {
      const browser = app.client();
      await browser.get("/login");
      const reply = await browser.postJson("/login", { email, password: "not the password" });
      answers.push({ status: reply.status, body: jsonOf(reply) });
    }
    expect(answers[0]).toEqual({
      status: 401,
      body: { error: "invalid", message: INCORRECT, errors: { form: INCORRECT } },
    });
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe("after logging in you land where you were going, on this site only", () => {
  test("a local `next` is followed, query string included", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "erin@example.com");
    const browser = app.client();
    const reply = await logIn(browser, "erin@example.com", { next: "/account?tab=sessions" });
    expect(reply.location).toBe("/account?tab=sessions");
  });

  test("another site's address in `next` is ignored: /account instead", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "fay@example.com");
    for (const next of [
      "//evil.example/account",
      "https://evil.example/",
      "/\\evil.example",
      "javascript:alert(1)",
      "/\t/evil.example",
    ]) {
      const browser = app.client();
      const page = await browser.get(`/login?${new URLSearchParams({ next })}`);
      expect(page.body, next).not.toContain('name="next"');
      const reply = await logIn(browser, "fay@example.com", { next });
      expect(reply.location, next).toBe("/account");
    }
  });

  test("a `next` with quotes and markup is never written into the page unescaped", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "gus@example.com");
    const next = `/account"><script>alert(1)</script>'`;
    const browser = app.client();
    const page = await browser.get(`/login?${new URLSearchParams({ next })}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain("<script>alert(1)</script>");
    expect(page.body).not.toContain('/account">');
    expect(page.body).toContain(
      '<input type="hidden" name="next" value="/account&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;">',
    );

    // A wrong password re-renders the form with it: still escaped.
    const failed = await browser.post("/login", {
      email: "gus@example.com",
      password: "wrong password",
      next,
    });
    expect(failed.status).toBe(401);
    expect(failed.body).not.toContain("<script>alert(1)</script>");

    const reply = await browser.post("/login", {
      email: "gus@example.com",
      password: PASSWORD,
      next,
    });
    expect(reply.status).toBe(303);
    expect(new URL(reply.location as string, app.url).origin).toBe(app.url);
    expect(reply.location).not.toContain('"');
    expect(reply.location).not.toContain("<");
  });

  test("the email typed into the login form comes back escaped", async () => {
    const app = await startTestApp();
    const browser = app.client();
    await browser.get("/login");
    const email = `"><script>alert(1)</script>@x.co`;
    const reply = await browser.post("/login", { email, password: "whatever it is" });
    // Not an address anyone could have signed up with: refused as the sign-up form refuses it.
    expect(reply.status).toBe(400);
    expect(reply.body).not.toContain("<script>alert(1)</script>");
    expect(reply.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@x.co"');
  });
});

test("a JSON client logs in with the token in X-CSRF-Token and gets the user back", async () => {
  const app = await startTestApp();
  const user = await makeUser(app.pool, "hal@example.com");
  const browser = app.client();
  // No page to scrape: asked for JSON, the login form answers with the token to send.
  const form = await browser.getJson("/login");
  expect(form.status).toBe(200);
  const token = jsonOf<{ csrfToken: string }>(form).csrfToken;
  // csrf-csrf's signed double-submit token: HMAC, then the random value it signs.
  expect(token).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{64}$/);
  expect(sessionIdOf(browser)).toBeUndefined();

  const invalid = await browser.postJson("/login", { email: "", password: "" }, token);
  expect(invalid.status).toBe(400);
  expect(jsonOf(invalid)).toEqual({
    error: "invalid",
    message: "Enter your email address.",
    errors: { email: "Enter your email address.", password: "Enter your password." },
  });

  const reply = await browser.postJson(
    "/login",
    { email: "hal@example.com", password: PASSWORD },
    token,
  );
  expect(reply.status).toBe(200);
  expect(jsonOf(reply)).toEqual({
    user: { id: user.id, email: "hal@example.com" },
    next: "/account",
  });
  expect(sessionIdOf(browser)).toBeDefined();

  const account = await browser.getJson("/account");
  expect(account.status).toBe(200);
  expect(jsonOf<{ user: unknown }>(account).user).toEqual({
    id: user.id,
    email: "hal@example.com",
  });
});

test("a wrong password keeps the typed email in the form, never the password, and logs nobody in", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "ida@example.com");
  const browser = app.client();
  const reply = await submitLogin(browser, "ida@example.com", {
    password: "my-secret-typo-password",
    remember: true,
  });
  expect(reply.status).toBe(401);
  expect(reply.body).toContain('value="ida@example.com"');
  expect(reply.body).toContain('name="remember" type="checkbox" checked');
  expect(reply.body).not.toContain("my-secret-typo-password");
  expect((await browser.get("/account")).status).toBe(303);
});
