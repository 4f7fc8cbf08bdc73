import { describe, expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import {
  logIn,
  makeUser,
  PASSWORD,
  sessionIdOf,
  sessionRow,
  submitLogin,
} from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";

const TAKEN =
  "This email cannot be used to register. If you already have an account, log in instead.";

describe("signing up", () => {
  test("creates the account and logs you in on a new session, with a welcome message", async () => {
    const app = await startTestApp();
    const browser = app.client();
    const form = await browser.get("/register");
    expect(form.status).toBe(200);
    expect(form.headers.get("cache-control")).toBe("no-store");
    // Looking at the form writes nothing: its CSRF token is a signed cookie, not a session.
    expect(sessionIdOf(browser)).toBeUndefined();

    const reply = await browser.post("/register", { email: "new@example.com", password: PASSWORD });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/account");
    const after = sessionIdOf(browser) as string;
    expect((await sessionRow(app.pool, after))?.sess.passport?.user).toMatch(/^\d+$/);

    const account = await browser.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain(
      '<p class="flash info" role="status">Welcome! Your account is ready.</p>',
    );
    expect(account.body).toContain("Logged in as <strong>new@example.com</strong>");
    // The message is shown once.
    expect((await browser.get("/account")).body).not.toContain("Welcome!");

    // The password was stored as a hash that logs in.
    const { rows } = await app.pool.query<{ password_hash: string }>(
      "select password_hash from users where email = 'new@example.com'",
    );
    expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
    await logIn(app.client(), "new@example.com");
  });

  test("invalid fields get a message each; the email is kept, the password never sent back", async () => {
    const app = await startTestApp();
    const browser = app.client();
    await browser.get("/register");

    const empty = await browser.post("/register", { email: "", password: "" });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain(
      '<p class="error" id="email-error" role="alert">Enter your email address.</p>',
    );
    expect(empty.body).toContain(
      '<p class="error" id="password-error" role="alert">Use at least 12 characters.</p>',
    );

    const bad = await browser.post("/register", { email: "not-an-email", password: "short pw" });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain(
      '<p class="error" id="email-error" role="alert">Enter an email address like name@example.com.</p>',
    );
    expect(bad.body).toContain(
      '<p class="error" id="password-error" role="alert">Use at least 12 characters.</p>',
    );
    expect(bad.body).toContain('value="not-an-email"');
    expect(bad.body).toContain('aria-invalid="true"');

    const weak = await browser.post("/register", {
      email: "ok@example.com",
      password: "eleven-char",
    });
    expect(weak.status).toBe(400);
    expect(weak.body).not.toContain("email-error");
    expect(weak.body).toContain('value="ok@example.com"');
    expect(weak.body).not.toContain("eleven-char");

    const { rows } = await app.pool.query("select 1 from users");
    expect(rows).toHaveLength(0);
  });

  test("an email that already has an account (in any case) is refused with a neutral message", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "ann@example.com");
    const browser = app.client();
    await browser.get("/register");

    const reply = await browser.post("/register", {
      email: "Ann@Example.com",
      password: "another password entirely",
    });
    expect(reply.status).toBe(409);
    expect(reply.body).toContain(`<p class="error" id="email-error" role="alert">${TAKEN}</p>`);
    expect(reply.body).toContain('value="Ann@Example.com"');
    expect(reply.body).not.toContain("another password entirely");
    // Nobody got logged in, and the existing account's password is unchanged.
    expect((await browser.get("/account")).status).toBe(303);
    expect(
      (
        await submitLogin(app.client(), "ann@example.com", {
          password: "another password entirely",
        })
      ).status,
    ).toBe(401);
    await logIn(app.client(), "ann@example.com");
  });

  test("an email full of markup is shown back escaped, never as markup", async () => {
    const app = await startTestApp();
    const browser = app.client();
    await browser.get("/register");
    const email = `"><script>alert(1)</script>@x.co`;
    const reply = await browser.post("/register", { email, password: PASSWORD });
    expect(reply.status).toBe(400);
    expect(reply.body).not.toContain("<script>alert(1)</script>");
    expect(reply.body).not.toContain('"><script>');
    expect(reply.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@x.co"');
    expect(reply.body).not.toContain(PASSWORD);
  });
});

describe("signing up from a script (JSON)", () => {
  test("errors come as JSON: 400 with each field's message, 409 for a taken email, 201 on success", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "taken@example.com");
    const browser = app.client();
    await browser.get("/register");
    const token = browser.csrfToken() as string;

    const invalid = await browser.postJson(
      "/register",
      { email: "nope", password: "short" },
      token,
    );
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("content-type")).toMatch(/^application\/json/);
    expect(jsonOf(invalid)).toEqual({
      error: "invalid",
      message: "Enter an email address like name@example.com.",
      errors: {
        email: "Enter an email address like name@example.com.",
        password: "Use at least 12 characters.",
      },
    });

    const taken = await browser.postJson(
      "/register",
      { email: "taken@example.com", password: PASSWORD },
      token,
    );
    expect(taken.status).toBe(409);
    expect(jsonOf(taken)).toEqual({ error: "invalid", message: TAKEN, errors: { email: TAKEN } });

    const created = await browser.postJson(
      "/register",
      { email: "script@example.com", password: PASSWORD },
      token,
    );
    expect(created.status).toBe(201);
    const body = jsonOf<{ user: { id: string; email: string } }>(created);
    expect(body.user.email).toBe("script@example.com");
    const account = await browser.getJson("/account");
    expect(account.status).toBe(200);
    expect(jsonOf<{ user: unknown }>(account).user).toEqual(body.user);
  });
});
