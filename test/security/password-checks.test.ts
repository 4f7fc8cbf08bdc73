import { describe, expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, logIn, makeUser, PASSWORD, submitLogin } from "../helpers/auth.js";
import type { Reply } from "../helpers/http-client.js";

/**
 * Every password check costs an argon2 hash, so every one is limited (app/security/
 * password-limits.ts): sign-up per address, the current password per user. And the passwords
 * themselves follow NIST SP 800-63B: normalised, not whitespace, not commonly used.
 */

function expectLimited(reply: Reply) {
  expect(reply.status).toBe(429);
  expect(Number(reply.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
}

const errorOf = (body: string, field: string) =>
  new RegExp(`<p class="error" id="${field}-error" role="alert">([^<]*)</p>`).exec(body)?.[1];

describe("sign-up is limited per address", () => {
  test("one form token, a flood of sign-ups: only registerPerIp are hashed, the rest 429", async () => {
    const app = await startTestApp({ loginLimits: { registerPerIp: 3 } });
    const script = app.client();
    await script.get("/register");
    const token = script.csrfToken() as string;
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        script.post("/register", {
          _csrf: token,
          email: `flood${i}@example.com`,
          password: `a fine long passphrase ${i}`,
        }),
      ),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 303)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(27);
    for (const reply of replies.filter((r) => r.status === 429)) {
      expectLimited(reply);
      expect(reply.body).toContain("Too many sign-ups.");
    }
    const { rows } = await app.pool.query("select count(*)::int as n from users");
    expect(rows[0]).toEqual({ n: 3 });
  });

  test("invalid forms cost no hash and are not counted", async () => {
    const app = await startTestApp({ loginLimits: { registerPerIp: 1 } });
    const visitor = app.client();
    await visitor.get("/register");
    for (let i = 0; i < 5; i++) {
      expect((await visitor.post("/register", { email: "x", password: "short" })).status).toBe(400);
    }
    await visitor.get("/register");
    const reply = await visitor.post("/register", { email: "ok@example.com", password: PASSWORD });
    expect(reply.status).toBe(303);
  });
});

describe("the current password, before a change, is limited per user", () => {
  test("40 wrong current passwords from a stolen session: 5 are checked, then 429, even for the right one", async () => {
    const app = await startTestApp();
    const { client: thief } = await loggedInClient(app, "ann@example.com");
    await thief.get("/account");
    const token = thief.csrfToken() as string;
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        thief.post("/account/password", {
          _csrf: token,
          current_password: `guess ${i}`,
          new_password: "the thief's new passphrase",
        }),
      ),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 400)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(35);
    expectLimited(
      await thief.post("/account/password", {
        _csrf: token,
        current_password: PASSWORD,
        new_password: "the thief's new passphrase",
      }),
    );
    // The password did not change.
    await logIn(app.client(), "ann@example.com");
  });

  test("a right current password is given back: a user who types it right is never limited", async () => {
    const app = await startTestApp({ loginLimits: { currentPasswordPerUser: 2 } });
    const { client: ann } = await loggedInClient(app, "ann@example.com");
    const passwords = [PASSWORD, "a second passphrase of ann", "a third passphrase of ann"];
    for (let i = 0; i < 2; i++) {
      await ann.get("/account");
      const reply = await ann.post("/account/password", {
        current_password: passwords[i] as string,
        new_password: passwords[i + 1] as string,
      });
      expect(reply.status, reply.body.slice(0, 200)).toBe(303);
    }
  });
});

describe("passwords", () => {
  test("are Unicode-normalised: the same password typed in another normal form logs in", async () => {
    const app = await startTestApp();
    const composed = "caf\u00e9 au lait, s'il vous pla\u00eet";
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    const visitor = app.client();
    await visitor.get("/register");
    const reply = await visitor.post("/register", {
      email: "zoe@example.com",
      password: decomposed,
    });
    expect(reply.status).toBe(303);
    await logIn(app.client(), "zoe@example.com", { password: composed });
    await logIn(app.client(), "zoe@example.com", { password: decomposed });
  });

  test("whitespace only, or commonly used: refused at sign-up with a clear message", async () => {
    const app = await startTestApp();
    const visitor = app.client();
    for (const [password, message] of [
      ["              ", /only spaces/],
      ["password1234", /commonly used password/],
      ["qwertyuiop123", /./],
      ["aaaaaaaaaaaaaaaa", /Repeated characters/],
    ] as const) {
      await visitor.get("/register");
      const reply = await visitor.post("/register", { email: "weak@example.com", password });
      expect(reply.status, password).toBe(400);
      expect(errorOf(reply.body, "password"), password).toMatch(message);
    }
    const { rows } = await app.pool.query("select 1 from users");
    expect(rows).toEqual([]);
  });

  test("a new password must differ from the current one, and must be strong", async () => {
    const app = await startTestApp();
    const { client: ann } = await loggedInClient(app, "ann@example.com");
    await ann.get("/account");
    const same = await ann.post("/account/password", {
      current_password: PASSWORD,
      new_password: PASSWORD,
    });
    expect(same.status).toBe(400);
    expect(errorOf(same.body, "new_password")).toBe(
      "Choose a password different from your current one.",
    );
    await ann.get("/account");
    const weak = await ann.post("/account/password", {
      current_password: PASSWORD,
      new_password: "password1234",
    });
    expect(weak.status).toBe(400);
    expect(errorOf(weak.body, "new_password")).toMatch(/commonly used/);
    await logIn(app.client(), "ann@example.com");
  });
});

test("every page rendered for a logged-in user is Cache-Control: no-store, the home page too", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "ann@example.com");
  const anonymous = await app.client().get("/");
  expect(anonymous.headers.get("cache-control")).toBeNull();
  const ann = app.client();
  expect((await submitLogin(ann, "ann@example.com")).status).toBe(303);
  for (const path of ["/", "/account", "/nowhere"]) {
    const page = await ann.get(path);
    expect(page.headers.get("cache-control"), path).toBe("no-store");
  }
});
