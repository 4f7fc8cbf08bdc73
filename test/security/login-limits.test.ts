import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD, submitLogin } from "../helpers/auth.js";
import { jsonOf, type Reply } from "../helpers/http-client.js";

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
  expect(locked.body).toContain("<h1>Too many attempts</h1>");
  expect(locked.body).toContain("Too many login attempts. Try again in 1 minute(s).");

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

test("a successful login clears the account's failures; the lock lifts when the window ends", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 100, perAccount: 2, windowSeconds: 2 } });
  await makeUser(app.pool, "eve@example.com");
  const browser = app.client();

  expect((await submitLogin(browser, "eve@example.com", { password: "typo one!" })).status).toBe(
    401,
  );
  await logIn(app.client(), "eve@example.com");
  // The earlier failure was forgiven: two more are allowed before the lock.
  expect((await submitLogin(browser, "eve@example.com", { password: "typo two!" })).status).toBe(
    401,
  );
  expect((await submitLogin(browser, "eve@example.com", { password: "typo three" })).status).toBe(
    401,
  );
  expectLimited(await submitLogin(browser, "eve@example.com"), 2);

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
