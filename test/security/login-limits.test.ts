import { describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD, submitLogin } from "../helpers/auth.js";
import { jsonOf, type Reply } from "../helpers/http-client.js";
import { rawRequest } from "../helpers/raw-http.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectLimited(reply: Reply, windowSeconds: number) {
  expect(reply.status).toBe(429);
  const retryAfter = Number(reply.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

test("after too many wrong passwords the account is locked for a while, even for the right password", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 100, perAccount: 3, windowSeconds: 60 } });
  await makeUser(app.pool, "ann@example.com");
  await makeUser(app.pool, "bob@example.com");
  const attacker = app.client();

  // The same account however the email is written.
  for (const email of ["ann@example.com", "ANN@example.com", "Ann@Example.com"]) {
    const reply = await submitLogin(attacker, email, { password: "guess 123456" });
    expect(reply.status, email).toBe(401);
  }
  const locked = await submitLogin(attacker, "ann@example.com", { password: "guess 654321" });
  expectLimited(locked, 60);
  // On the login form itself, the email kept, the message announced.
  expect(locked.body).toContain("<h1>Log in</h1>");
  expect(locked.body).toContain(
    '<p class="flash error" role="alert" id="form-error">Too many login attempts. Try again in 1 minute.</p>',
  );
  expect(locked.body).toContain('value="ann@example.com"');

  // Ann herself, from another device, with her real password: refused while the lock holds.
  const ann = app.client();
  const refused = await submitLogin(ann, "ann@example.com");
  expectLimited(refused, 60);
  expect((await ann.get("/account")).status).toBe(303);

  // Other accounts are not affected.
  await logIn(app.client(), "bob@example.com");
});

test("too many failures from one address lock that address out, whichever accounts it tries", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 4, perAccount: 100, windowSeconds: 60 } });
  await makeUser(app.pool, "cat@example.com");
  const browser = app.client();
  for (const email of ["a@example.com", "b@example.com", "c@example.com", "cat@example.com"]) {
    expect((await submitLogin(browser, email, { password: "wrong password" })).status).toBe(401);
  }
  const refused = await submitLogin(browser, "cat@example.com");
  expectLimited(refused, 60);

  // A forged X-Forwarded-For is not believed (no trusted proxy): still the same address.
  const forged = app.client({ "x-forwarded-for": "203.0.113.77" });
  expectLimited(await submitLogin(forged, "cat@example.com"), 60);
});

test("an unknown email is locked like a real one, so the lock does not reveal which accounts exist", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 100, perAccount: 2, windowSeconds: 60 } });
  await makeUser(app.pool, "real@example.com");
  const answers: number[][] = [];
  for (const email of ["real@example.com", "ghost@example.com"]) {
    const browser = app.client();
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await submitLogin(browser, email, { password: "wrong guess" })).status);
    }
    answers.push(statuses);
  }
  expect(answers).toEqual([
    [401, 401, 429],
    [401, 401, 429],
  ]);
});

test("a JSON client is told when to retry", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 100, perAccount: 1, windowSeconds: 30 } });
  await makeUser(app.pool, "dan@example.com");
  const script = app.client();
  await script.get("/login");
  const token = script.csrfToken() as string;
  const wrong = await script.postJson("/login", { email: "dan@example.com", password: "x" }, token);
  expect(wrong.status).toBe(401);
  const limited = await script.postJson(
    "/login",
    { email: "dan@example.com", password: PASSWORD },
    token,
  );
  expectLimited(limited, 30);
  const body = jsonOf<{ error: string; retryAfter: number }>(limited);
  expect(body.error).toBe("too_many_attempts");
  expect(body.retryAfter).toBe(Number(limited.headers.get("retry-after")));
});

test("only wrong passwords count: a right one is given back; the lock lifts when the window ends", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 100, perAccount: 2, windowSeconds: 2 } });
  await makeUser(app.pool, "eve@example.com");
  const browser = app.client();

  expect((await submitLogin(browser, "eve@example.com", { password: "typo one!" })).status).toBe(
    401,
  );
  // Counted before the check, given back after it: the right password costs no attempt.
  await logIn(app.client(), "eve@example.com");
  expect((await submitLogin(browser, "eve@example.com", { password: "typo two!" })).status).toBe(
    401,
  );
  expectLimited(await submitLogin(browser, "eve@example.com", { password: "typo three" }), 2);
  expectLimited(await submitLogin(app.client(), "eve@example.com"), 2);

  await sleep(2_500);
  await logIn(browser, "eve@example.com");
});

test("logins keep working after the database connection is replaced (pool idle timeout, restart)", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "fay@example.com");
  expect(
    (await submitLogin(app.client(), "fay@example.com", { password: "wrong pw" })).status,
  ).toBe(401);

  // What the Pool does after its idle timeout (10 s by default) or a lost connection.
  const connection = await app.pool.connect();
  connection.release(true);

  const reply = await submitLogin(app.client(), "fay@example.com");
  const errors = app.logs
    .entries()
    .filter((entry) => entry.msg === "request failed")
    .map((entry) => (entry.err as { message?: string } | undefined)?.message);
  expect({ status: reply.status, errors }).toEqual({ status: 303, errors: [] });
});

describe("the limit holds under concurrency: every attempt is counted before the password check", () => {
  test("40 wrong logins at once for one account: at most 5 get a password check (401), the rest 429", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "ann@example.com");
    const attacker = app.client();
    await attacker.get("/login");
    const token = attacker.csrfToken() as string;
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        attacker.post("/login", {
          _csrf: token,
          email: "ann@example.com",
          password: `guess number ${i}`,
        }),
      ),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    for (const reply of replies.filter((r) => r.status === 429)) expectLimited(reply, 15 * 60);

    // The right password, sent after the limit was reached, does not get in.
    const late = await submitLogin(app.client(), "ann@example.com");
    expectLimited(late, 15 * 60);
  });

  test("the right password among 100 at once does not get in past the limit", async () => {
    const app = await startTestApp({ loginLimits: { perIp: 1000, perAccount: 5 } });
    await makeUser(app.pool, "bob@example.com");
    const attacker = app.client();
    await attacker.get("/login");
    const token = attacker.csrfToken() as string;
    const guesses = Array.from({ length: 100 }, (_, i) => (i === 70 ? PASSWORD : `guess ${i}`));
    const replies = await Promise.all(
      guesses.map((password) =>
        attacker.post("/login", { _csrf: token, email: "bob@example.com", password }),
      ),
    );
    const checked = replies.filter((reply) => reply.status !== 429);
    expect(checked.length).toBeLessThanOrEqual(5);
    // Only a checked attempt could have logged in, and the right password was one of the last.
    expect(replies[70]?.status).toBe(429);
  });
});

describe("nobody can lock the owner out: the device cookie", () => {
  // Behind one trusted proxy hop on loopback, each request comes from the address it names.
  const fromAddress = (app: TestApp, n: number) =>
    app.client({ "x-forwarded-for": `198.51.100.${n}` });

  test("50 wrong passwords for bob from 50 addresses: bob's own browser still logs in; a new browser gets 429", async () => {
    const app = await startTestApp({ env: { TRUST_PROXY: "loopback" } });
    await makeUser(app.pool, "bob@example.com");
    // Bob logged in on this browser before (and logged out): it holds his device cookie.
    const bobsBrowser = fromAddress(app, 200);
    await logIn(bobsBrowser, "bob@example.com");
    expect(bobsBrowser.cookies.has("device")).toBe(true);
    await bobsBrowser.get("/account");
    await bobsBrowser.post("/logout");

    for (let n = 1; n <= 50; n++) {
      const reply = await submitLogin(fromAddress(app, n), "bob@example.com", {
        password: `attacker guess ${n}`,
      });
      expect([401, 429]).toContain(reply.status);
    }

    // From the browser that logged in before: in, despite the attack.
    await logIn(bobsBrowser, "bob@example.com");
    expect((await bobsBrowser.get("/account")).status).toBe(200);

    // From a browser that never did: the account-wide limit applies.
    const newBrowser = fromAddress(app, 201);
    expectLimited(await submitLogin(newBrowser, "bob@example.com"), 15 * 60);
  });

  test("a device cookie counts for its own account only, and its guesses are limited per device", async () => {
    const app = await startTestApp({ loginLimits: { perAccount: 2, perDevice: 3 } });
    await makeUser(app.pool, "bob@example.com");
    await makeUser(app.pool, "mallory@example.com");
    // Mallory's device cookie is real, but for her account: no use against bob's counter.
    const mallory = app.client();
    await logIn(mallory, "mallory@example.com");
    await mallory.get("/account");
    await mallory.post("/logout");
    expect(mallory.cookies.has("device")).toBe(true);
    for (let i = 0; i < 2; i++) {
      const reply = await submitLogin(mallory, "bob@example.com", { password: `guess ${i}` });
      expect(reply.status).toBe(401);
    }
    expectLimited(await submitLogin(mallory, "bob@example.com", { password: "guess 3" }), 900);

    // A tampered cookie is no device cookie either.
    const forged = app.client();
    const value = mallory.cookies.get("device") as string;
    forged.cookies.set("device", value.replace(/mallory|\d+/, "1"));
    expectLimited(await submitLogin(forged, "bob@example.com"), 900);

    // Mallory's own browser may guess at her own account, but only perDevice times.
    for (let i = 0; i < 3; i++) {
      const reply = await submitLogin(mallory, "mallory@example.com", { password: `typo ${i}` });
      expect(reply.status).toBe(401);
    }
    expectLimited(await submitLogin(mallory, "mallory@example.com"), 900);
  });
});

describe("one account, one counter; odd input is a clear answer, never a 500", () => {
  test("every spelling the database treats as the account shares its counter", async () => {
    const app = await startTestApp({ loginLimits: { perIp: 1000, perAccount: 3 } });
    await makeUser(app.pool, "victim@example.com");
    for (let i = 0; i < 3; i++) {
      const reply = await submitLogin(app.client(), "victim@example.com", { password: `x ${i}` });
      expect(reply.status).toBe(401);
    }
    // citext compares with the database's lower(), which may fold "İ" as JavaScript does not.
    for (const spelling of [
      "VICTIM@example.com",
      "v\u0130ctim@example.com",
      "vİctim@Example.com",
    ]) {
      const { rows } = await app.pool.query("select id from users where email = $1", [spelling]);
      const reply = await submitLogin(app.client(), spelling);
      // Refused like sign-up refuses it (400), or counted as the victim's (429); never in.
      if (rows.length > 0) expect([400, 429], spelling).toContain(reply.status);
      else expect([400, 401], spelling).toContain(reply.status);
    }
  });

  test("the longest address a form accepts is counted like any other", async () => {
    const app = await startTestApp({ loginLimits: { perIp: 1000, perAccount: 2 } });
    const longest = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(57)}.com`;
    expect(longest.length).toBe(254);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await submitLogin(app.client(), longest, { password: `p ${i}` })).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  test("a NUL byte, an over-long or a malformed address: 400 with the form's message", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "ann@example.com");
    for (const email of [
      "ann\u0000@example.com",
      `${"a".repeat(250)}@example.com`,
      "not-an-address",
    ]) {
      const reply = await submitLogin(app.client(), email);
      expect(reply.status, JSON.stringify(email)).toBe(400);
      expect(reply.body).toContain('id="email-error"');
    }
    expect(app.logs.entries().filter((entry) => Number(entry.level) >= 50)).toEqual([]);
  });

  test("OPTIONS * is answered without a session, never with a 500", async () => {
    const app = await startTestApp();
    const reply = await rawRequest(app.url, { method: "OPTIONS", path: "*" });
    expect(reply.status).toBeLessThan(500);
    expect(app.logs.entries().filter((entry) => Number(entry.level) >= 50)).toEqual([]);
  });
});
