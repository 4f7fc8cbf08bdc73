import type pg from "pg";
import { expect, test } from "vitest";
import { checkFeatureConfig } from "../../../app/app.js";
import { ConfigError } from "../../../app/config.js";
import { emailSignIn } from "../../../app/features/email-sign-in/index.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, makeUser, setCookieFor, submitLogin } from "../../helpers/auth.js";
import { hasFeature } from "../../helpers/features.js";
import type { HttpClient } from "../../helpers/http-client.js";
import {
  linkIn,
  NEW_DEVICE_SUBJECT,
  pathOf,
  type ReceivedMail,
  startTestSmtp,
  type TestSmtp,
} from "../../helpers/mail.js";
import { testConfig } from "../../helpers/test-config.js";
import { enableTwoFactor, testClock, totpCode } from "../../helpers/totp.js";

const SENT = "Check your mail: if you can sign in with that address, we sent it a link and a code.";

async function appWithSmtp(options: Parameters<typeof startTestApp>[0] = {}) {
  // Signing in from new test browsers also mails the new-device notice: not this story's mails.
  const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
  const app = await startTestApp({ ...options, env: { SMTP_URL: smtp.url, ...options.env } });
  return { app, smtp };
}

/** An account whose address was proven before: an email sign-in removes nothing of it. */
async function provenUser(pool: pg.Pool, email: string) {
  const user = await makeUser(pool, email);
  await pool.query("update users set email_verified_at = now() where id = $1", [user.id]);
  return user;
}

/** What a person does: the login page, their address, "Email me a sign-in link". */
async function askForLink(client: HttpClient, email: string, form: Record<string, string> = {}) {
  const login = await client.get("/login");
  expect(login.status).toBe(200);
  expect(login.body).toContain("Email me a sign-in link");
  return client.post("/login/email", { email, password: "", ...form });
}

/** The mail's link and its code (six digits written together, on a line of their own). */
function linkAndCode(mail: ReceivedMail) {
  const link = linkIn(mail, "/login/email/");
  const code = /^(\d{6})$/m.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in the mail:\n${mail.text}`);
  return { link, code };
}

async function mailFor(client: HttpClient, smtp: TestSmtp, email: string, form = {}) {
  const asked = await askForLink(client, email, form);
  expect(asked.status, asked.body).toBe(200);
  return smtp.nextMailTo(email);
}

/** "Sign in with the code", with a CSRF token from a fresh page (the last one may have had none). */
async function postCode(client: HttpClient, email: string, code: string, form = {}) {
  await client.get("/login");
  return client.post("/login/email/code", { email, code, ...form });
}

const loggedIn = async (client: HttpClient) => (await client.get("/account")).status === 200;

test("a mail scanner opens the link and presses its button: nobody signs in, nothing is used up; the browser that asked then signs in", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client();
  const asked = await askForLink(browser, "Ann@Example.com");
  expect(asked.status).toBe(200);
  expect(asked.body).toContain(SENT);
  expect(asked.body).toContain("Sign in with the code");
  // The binding cookie: signed, HttpOnly.
  expect(setCookieFor(asked, "email_sign_in")).toMatch(/HttpOnly/i);

  const mail = await smtp.nextMailTo("ann@example.com");
  expect(mail.subject).toBe("Your sign-in link");
  const { link, code } = linkAndCode(mail);
  expect(link).toMatch(new RegExp(`^${app.config.appUrl}/login/email/[A-Za-z0-9_-]{43}$`));
  expect(code).toMatch(/^\d{6}$/);
  expect(mail.html).toContain(link);
  expect(mail.html).not.toMatch(/<img|<script/i);

  // The scanner: no cookies. It fetches the page and submits its form.
  const scanner = app.client();
  const page = await scanner.get(pathOf(link));
  expect(page.status).toBe(200);
  expect(page.body).toContain(">Sign in</button>");
  expect(page.body).toContain("type the 6-digit code from the mail");
  const pressed = await scanner.post(pathOf(link));
  expect(pressed.status).toBe(403);
  expect(pressed.body).toContain("only in the browser where you asked for it");
  expect(scanner.cookies.has("sid")).toBe(false);
  expect(await loggedIn(scanner)).toBe(false);
  // Asking as a script changes nothing either.
  const script = await scanner.postJson(pathOf(link), {});
  expect(script.status).toBe(403);

  // The person, in the browser that asked: the page has the button; pressing it signs in.
  const own = await browser.get(pathOf(link));
  expect(own.status).toBe(200);
  expect(own.body).not.toContain("type the 6-digit code from the mail");
  const done = await browser.post(pathOf(link));
  expect(done.status, done.body).toBe(303);
  expect(done.location).toBe("/account");
  expect(await loggedIn(browser)).toBe(true);
  // The binding cookie is gone; the link works once.
  expect(browser.cookies.has("email_sign_in")).toBe(false);
  expect((await browser.get(pathOf(link))).status).toBe(400);

  // The address is proven, and the trail says how.
  const { rows } = await app.pool.query(
    "select email_verified_at is not null as verified from users where email = 'ann@example.com'",
  );
  expect(rows[0]).toEqual({ verified: true });
  if (hasFeature("activity")) {
    const events = await app.pool.query("select kind, method from security_events");
    expect(events.rows).toContainEqual({ kind: "sign_in", method: "email_link" });
    const security = await browser.get("/account/security");
    expect(security.body).toContain("Signed in with an email link");
  }
});

test("the link is used once under 10 presses at once from the browser that asked", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "bob@example.com");
  const browser = app.client();
  const { link } = linkAndCode(await mailFor(browser, smtp, "bob@example.com"));
  await browser.get(pathOf(link));
  const token = browser.csrfToken() as string;
  const cookie = browser.cookieHeader();
  const replies = await Promise.all(
    Array.from({ length: 10 }, () =>
      fetch(new URL(pathOf(link), app.url), {
        method: "POST",
        redirect: "manual",
        headers: {
          cookie,
          accept: "text/html",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ _csrf: token }).toString(),
      }),
    ),
  );
  const statuses = replies.map((reply) => reply.status).sort();
  expect(statuses.filter((status) => status === 303)).toHaveLength(1);
  expect(statuses.filter((status) => status === 400)).toHaveLength(9);
  const { rows } = await app.pool.query("select count(*)::int as n from user_tokens");
  expect(rows[0]).toEqual({ n: 0 });
});

test("without the CSRF token, or with a forged binding cookie, the button uses nothing up", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "cat@example.com");
  const browser = app.client();
  const { link } = linkAndCode(await mailFor(browser, smtp, "cat@example.com"));
  await browser.get(pathOf(link));
  expect((await browser.post(pathOf(link), { _csrf: "" })).status).toBe(403);
  await browser.get(pathOf(link));

  // A cookie of the right name but not signed by the app.
  const forger = app.client();
  await forger.get(pathOf(link));
  const payload = Buffer.from(
    JSON.stringify({ tokenDigest: "x", remember: false, expiresAt: 9e15 }),
  );
  forger.cookies.set("email_sign_in", `email-sign-in.${payload.toString("base64url")}.forged`);
  expect((await forger.post(pathOf(link))).status).toBe(403);

  // The browser that asked still signs in.
  await browser.get(pathOf(link));
  expect((await browser.post(pathOf(link))).status).toBe(303);
  expect(await loggedIn(browser)).toBe(true);
});

test("the link and the code expire after 15 minutes (the app's clock)", async () => {
  const clock = testClock();
  const { app, smtp } = await appWithSmtp({ clock: clock.clock });
  await makeUser(app.pool, "dan@example.com");
  const browser = app.client();
  const { link, code } = linkAndCode(await mailFor(browser, smtp, "dan@example.com"));
  clock.advance(15 * 60_000 + 1_000);
  expect((await browser.get(pathOf(link))).status).toBe(400);
  expect((await postCode(browser, "dan@example.com", code)).status).toBe(401);
  expect(await loggedIn(browser)).toBe(false);
});

test("a newer mail replaces the older link and code", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "eve@example.com");
  const browser = app.client();
  const first = linkAndCode(await mailFor(browser, smtp, "eve@example.com"));
  const second = linkAndCode(await mailFor(browser, smtp, "eve@example.com"));
  expect((await browser.get(pathOf(first.link))).status).toBe(400);
  if (first.code !== second.code) {
    const old = await postCode(browser, "eve@example.com", first.code);
    expect(old.status).toBe(401);
  }
  const done = await postCode(browser, "eve@example.com", second.code);
  expect(done.status, done.body).toBe(303);
  expect(await loggedIn(browser)).toBe(true);
});

test("the code, typed where the address was entered, signs in; remember me carries over", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "fay@example.com");
  const browser = app.client();
  const asked = await askForLink(browser, "fay@example.com", { remember: "on" });
  // The page's form holds the code field alone: the address and "remember me" are the cookie's.
  expect(asked.body).not.toContain("fay@example.com");
  const { code } = linkAndCode(await smtp.nextMailTo("fay@example.com"));
  const done = await browser.post("/login/email/code", { code });
  expect(done.status, done.body).toBe(303);
  expect(setCookieFor(done, "sid")).toMatch(/Expires=/);
  expect(await loggedIn(browser)).toBe(true);
  if (hasFeature("activity")) {
    const events = await app.pool.query("select kind, method from security_events");
    expect(events.rows).toContainEqual({ kind: "sign_in", method: "email_code" });
  }
});

test("remember me ticked on /login carries over to the link; unticked, the cookie ends with the browser", async () => {
  const { app, smtp } = await appWithSmtp();
  await provenUser(app.pool, "gus@example.com");
  for (const remember of [true, false]) {
    const browser = app.client();
    const form = remember ? { remember: "on" } : {};
    const { link } = linkAndCode(await mailFor(browser, smtp, "gus@example.com", form));
    await browser.get(pathOf(link));
    const done = await browser.post(pathOf(link));
    expect(done.status).toBe(303);
    if (remember) expect(setCookieFor(done, "sid")).toMatch(/Expires=/);
    else expect(setCookieFor(done, "sid")).not.toMatch(/Expires=/);
  }
});

test("wrong codes: 5 per account per window, then 429 with Retry-After, and the right code is refused too", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "hal@example.com");
  const browser = app.client();
  const { code } = linkAndCode(await mailFor(browser, smtp, "hal@example.com"));
  const wrong = code === "000000" ? "111111" : "000000";
  for (let i = 0; i < 5; i++) {
    const reply = await browser.post("/login/email/code", {
      email: "hal@example.com",
      code: wrong,
    });
    expect(reply.status).toBe(401);
    expect(reply.body).toContain("That code is wrong");
  }
  const limited = await browser.post("/login/email/code", { email: "hal@example.com", code });
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(await loggedIn(browser)).toBe(false);
  // As a script: the same, as JSON.
  await browser.get("/login");
  const json = await browser.postJson("/login/email/code", { email: "hal@example.com", code });
  expect(json.status).toBe(429);
  expect(JSON.parse(json.body)).toMatchObject({ error: "too_many_attempts" });
  // The code was not used up by the refused tries: the link still works where it was asked.
  expect((await app.pool.query("select 1 from user_tokens")).rowCount).toBe(1);
});

test("wrong codes typed by someone else do not lock out the owner's own browser (its device lane)", async () => {
  const { app, smtp } = await appWithSmtp();
  // The owner's browser signed in here before: it holds the account's device cookie.
  const { client: owner } = await loggedInClient(app, "ola@example.com");
  await owner.get("/account");
  await owner.post("/logout");
  expect(owner.cookies.has("device")).toBe(true);

  const attacker = app.client();
  await attacker.get("/login");
  for (let i = 0; i < 5; i++) {
    const reply = await attacker.post("/login/email/code", {
      email: "ola@example.com",
      code: "000000",
    });
    expect(reply.status).toBe(401);
  }
  const locked = await attacker.post("/login/email/code", {
    email: "ola@example.com",
    code: "000000",
  });
  expect(locked.status).toBe(429);

  const { code } = linkAndCode(await mailFor(owner, smtp, "ola@example.com"));
  const done = await owner.post("/login/email/code", { email: "ola@example.com", code });
  expect(done.status, done.body).toBe(303);
  expect(await loggedIn(owner)).toBe(true);
});

test("wrong codes at once cannot get past the limit", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "ida@example.com");
  const browser = app.client();
  const { code } = linkAndCode(await mailFor(browser, smtp, "ida@example.com"));
  const token = browser.csrfToken() as string;
  const wrongs = Array.from({ length: 20 }, (_, i) =>
    String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"),
  );
  const replies = await Promise.all(
    wrongs.map((wrong) =>
      browser.post("/login/email/code", { _csrf: token, email: "ida@example.com", code: wrong }),
    ),
  );
  expect(replies.filter((reply) => reply.status === 401)).toHaveLength(5);
  expect(replies.filter((reply) => reply.status === 429)).toHaveLength(15);
});

test("the same answer, status and work for an address with no account; its mail offers sign-up and no way to sign in", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "jay@example.com");
  const known = app.client();
  const unknown = app.client();
  const points = async () =>
    (
      await app.pool.query<{ key: string; points: number }>(
        "select key, points from rate_limits order by key",
      )
    ).rows.map((row) => ({ counter: row.key.split(":")[0], points: row.points }));

  const before = app.mailer.queued;
  const a = await askForLink(known, "jay@example.com");
  const knownPoints = await points();
  await app.pool.query("delete from rate_limits");
  const b = await askForLink(unknown, "nobody@example.com");
  expect(app.mailer.queued - before).toBe(2);
  expect(await points()).toEqual(knownPoints);
  expect(a.status).toBe(200);
  expect(b.status).toBe(a.status);
  // The same page, byte for byte but for the CSRF token: not even the address is repeated.
  const comparable = (body: string) => body.replace(/name="_csrf" value="[^"]*"/g, "");
  expect(comparable(b.body)).toBe(comparable(a.body));
  expect(setCookieFor(a, "email_sign_in")).toBeDefined();
  expect(setCookieFor(b, "email_sign_in")).toBeDefined();
  const json = await unknown.postJson("/login/email", { email: "nobody2@example.com" });
  expect(json.status).toBe(200);

  const mail = await smtp.nextMailTo("nobody@example.com");
  expect(linkIn(mail, "/register")).toBe(`${app.config.appUrl}/register`);
  expect(mail.text).not.toContain("/login/email/");
  expect(mail.text).not.toMatch(/\b\d{6}\b/);
  // Nothing was stored for it: no code works.
  expect((await app.pool.query("select 1 from user_tokens")).rowCount).toBe(1);
  const guess = await postCode(unknown, "nobody@example.com", "123456");
  expect(guess.status).toBe(401);
});

test("sign-in mails are counted by the mail limits: 429 with Retry-After", async () => {
  const { app } = await appWithSmtp();
  const browser = app.client();
  for (let i = 0; i < 3; i++)
    expect((await askForLink(browser, "kim@example.com")).status).toBe(200);
  const limited = await askForLink(browser, "kim@example.com");
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
});

test("user input is escaped on the page", async () => {
  const { app } = await appWithSmtp();
  const browser = app.client();
  await browser.get("/login");
  const reply = await browser.post("/login/email", { email: '"><script>alert(1)</script>@x' });
  expect(reply.status).toBe(400);
  expect(reply.body).not.toContain("<script>alert(1)</script>");
});

test("with EMAIL_SIGN_IN_CREATES_ACCOUNTS=true, the link makes the account, its address verified", async () => {
  const { app, smtp } = await appWithSmtp({ env: { EMAIL_SIGN_IN_CREATES_ACCOUNTS: "true" } });
  const browser = app.client();
  const mail = await mailFor(browser, smtp, "new@example.com");
  const { link } = linkAndCode(mail);
  expect(mail.text).toContain("the link makes one");
  await browser.get(pathOf(link));
  const done = await browser.post(pathOf(link));
  expect(done.status, done.body).toBe(303);
  expect(await loggedIn(browser)).toBe(true);
  const { rows } = await app.pool.query(
    "select email_verified_at is not null as verified, password_hash is null as nopassword from users where email = 'new@example.com'",
  );
  expect(rows[0]).toEqual({ verified: true, nopassword: true });
});

test("the first proof of the address ends what was added while it was unproven", async () => {
  const { app, smtp } = await appWithSmtp();
  const { client: squatter } = await loggedInClient(app, "lee@example.com");
  expect(await loggedIn(squatter)).toBe(true);
  const owner = app.client();
  const { link } = linkAndCode(await mailFor(owner, smtp, "lee@example.com"));
  await owner.get(pathOf(link));
  expect((await owner.post(pathOf(link))).status).toBe(303);
  expect(await loggedIn(owner)).toBe(true);
  // The session of whoever had the account before the address was proven ended.
  expect(await loggedIn(squatter)).toBe(false);
});

test("pre-hijacking: a password set before the address was proven stops working at the owner's email sign-in", async () => {
  const { app, smtp } = await appWithSmtp();
  // Someone signed up with the owner's address and a password of their choosing.
  await loggedInClient(app, "oda@example.com");
  const owner = app.client();
  const { link } = linkAndCode(await mailFor(owner, smtp, "oda@example.com"));
  await owner.get(pathOf(link));
  expect((await owner.post(pathOf(link))).status).toBe(303);
  expect(await loggedIn(owner)).toBe(true);
  // The squatter's password no longer opens the account; the owner's mail says what went.
  const squatter = app.client();
  expect((await submitLogin(squatter, "oda@example.com")).status).toBe(401);
  const notice = await smtp.nextMailTo("oda@example.com");
  expect(notice.subject).toBe("Ways into your account were removed");
  expect(notice.text).toContain("the password");
});

test.skipIf(!hasFeature("two-factor"))(
  "pre-hijacking: two-factor set up before the address was proven goes at the owner's email sign-in",
  async () => {
    const clock = testClock();
    const { app, smtp } = await appWithSmtp({ clock: clock.clock });
    // Someone signed up with the owner's address and turned two-factor on, unproven.
    const { client: squatter, user } = await loggedInClient(app, "nia@example.com");
    await enableTwoFactor(squatter, clock);
    const owner = app.client();
    const { link } = linkAndCode(await mailFor(owner, smtp, "nia@example.com"));
    await owner.get(pathOf(link));
    const done = await owner.post(pathOf(link));
    // No code step: the key was the squatter's, and it is gone.
    expect(done.status).toBe(303);
    expect(done.location).toBe("/account");
    expect(await loggedIn(owner)).toBe(true);
    expect(await loggedIn(squatter)).toBe(false);
    const { rowCount } = await app.pool.query("select 1 from two_factor where user_id = $1", [
      user.id,
    ]);
    expect(rowCount).toBe(0);
  },
);

test.skipIf(!hasFeature("two-factor"))(
  "with two-factor on, the link is one factor: the code step follows",
  async () => {
    const clock = testClock();
    const { app, smtp } = await appWithSmtp({ clock: clock.clock });
    const { client, user } = await loggedInClient(app, "max@example.com");
    // Proven first, so the first proof does not remove the two-factor key set up below.
    await app.pool.query("update users set email_verified_at = now() where id = $1", [user.id]);
    const { secret } = await enableTwoFactor(client, clock);

    const browser = app.client();
    const { link } = linkAndCode(await mailFor(browser, smtp, "max@example.com"));
    await browser.get(pathOf(link));
    const first = await browser.post(pathOf(link));
    expect(first.status).toBe(303);
    expect(first.location).toBe("/login/two-factor");
    expect(await loggedIn(browser)).toBe(false);
    await browser.get("/login/two-factor");
    const done = await browser.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
    expect(done.status, done.body).toBe(303);
    expect(done.location).toBe("/account");
    expect(await loggedIn(browser)).toBe(true);
    if (hasFeature("activity")) {
      const events = await app.pool.query(
        "select method from security_events where kind = 'sign_in' order by id desc limit 1",
      );
      expect(events.rows[0]).toEqual({ method: "email_link+2fa" });
    }
  },
);

test("EMAIL_SIGN_IN=false: no button, and the routes answer 404", async () => {
  const app = await startTestApp({ env: { EMAIL_SIGN_IN: "false" } });
  const browser = app.client();
  const login = await browser.get("/login");
  expect(login.body).not.toContain("Email me a sign-in link");
  expect((await browser.post("/login/email", { email: "a@example.com" })).status).toBe(404);
  const code = await postCode(browser, "a@example.com", "123456");
  expect(code.status).toBe(404);
  expect((await browser.get(`/login/email/${"a".repeat(43)}`)).status).toBe(404);
});

test("a bad EMAIL_SIGN_IN or EMAIL_SIGN_IN_CREATES_ACCOUNTS stops the app at start-up, named", () => {
  const config = testConfig({ EMAIL_SIGN_IN: "maybe", EMAIL_SIGN_IN_CREATES_ACCOUNTS: "yes" });
  let error: unknown;
  try {
    checkFeatureConfig(config, [emailSignIn]);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
    "EMAIL_SIGN_IN",
    "EMAIL_SIGN_IN_CREATES_ACCOUNTS",
  ]);
});

test("the login page's next carries over: after the link, that page", async () => {
  const { app, smtp } = await appWithSmtp();
  await provenUser(app.pool, "pat@example.com");
  const browser = app.client();
  const form = { next: "/account/sessions" };
  const { link } = linkAndCode(await mailFor(browser, smtp, "pat@example.com", form));
  await browser.get(pathOf(link));
  const done = await browser.post(pathOf(link));
  expect(done.status).toBe(303);
  expect(done.location).toBe("/account/sessions");
  // Not a path on this site: ignored.
  const other = app.client();
  const evil = linkAndCode(
    await mailFor(other, smtp, "pat@example.com", { next: "//evil.example" }),
  );
  await other.get(pathOf(evil.link));
  expect((await other.post(pathOf(evil.link))).location).toBe("/account");
});
