import { expect, test } from "vitest";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import {
  loggedInClient,
  logIn,
  sessionIdOf,
  sessionRow,
  setCookieFor,
  submitLogin,
} from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import {
  enableTwoFactor,
  STEP_MS,
  type TestClock,
  testClock,
  totpCode,
} from "../../helpers/totp.js";

/** A user with two-factor on, logged out: their secret and recovery codes. */
async function twoFactorUser(app: TestApp, clock: TestClock, email: string) {
  const { client, user } = await loggedInClient(app, email);
  const enabled = await enableTwoFactor(client, clock);
  return { ...enabled, user };
}

/** The password step: 303 to the code form, on a pending session. */
async function passwordStep(client: HttpClient, email: string, options = {}) {
  const reply = await submitLogin(client, email, options);
  expect(reply.status, reply.body).toBe(303);
  expect(reply.location).toBe("/login/two-factor");
  const form = await client.get("/login/two-factor");
  expect(form.status).toBe(200);
  return form;
}

test("with two-factor on, the right password leads to a pending session that opens no private page; the code logs in on a new session", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { secret, user } = await twoFactorUser(app, clock, "ann@example.com");

  // A session ID planted before the password step (here: an earlier, abandoned password step)
  // does not survive it: the pending state gets a new ID and the old one is destroyed.
  const browser = app.client();
  await passwordStep(browser, "ann@example.com");
  const planted = sessionIdOf(browser) as string;
  expect(planted).toBeDefined();
  await passwordStep(browser, "ann@example.com", { remember: true });
  const pendingId = sessionIdOf(browser) as string;
  expect(pendingId).toBeDefined();
  expect(pendingId).not.toBe(planted);
  expect(await sessionRow(app.pool, planted)).toBeUndefined();
  const pendingRow = await sessionRow(app.pool, pendingId);
  expect(pendingRow?.sess.passport?.user).toBeUndefined();
  expect(pendingRow?.sess.twoFactor).toMatchObject({ userId: user.id, remember: true });

  for (const path of [
    "/account",
    "/account/security",
    "/account/confirm",
    "/account/two-factor/setup",
  ]) {
    const reply = await browser.get(path);
    expect(reply.status, path).toBe(303);
    expect(reply.location).toMatch(/^\/login\?next=/);
  }
  expect((await browser.getJson("/account")).status).toBe(401);
  await browser.get("/login/two-factor");
  expect(
    (await browser.post("/account/password", { current_password: "x", new_password: "y" })).status,
  ).toBe(303);

  await browser.get("/login/two-factor");
  const done = await browser.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
  expect(done.status).toBe(303);
  expect(done.location).toBe("/account");
  const loggedInId = sessionIdOf(browser) as string;
  expect(loggedInId).not.toBe(pendingId);
  expect(await sessionRow(app.pool, pendingId)).toBeUndefined();
  const row = await sessionRow(app.pool, loggedInId);
  expect(row?.sess.passport).toEqual({ user: user.id });
  expect(row?.sess.twoFactor).toBeUndefined();
  // Remember me carried over: a cookie that outlives the browser; a device cookie as at any login.
  expect(setCookieFor(done, "sid")).toMatch(/Expires=/);
  expect(setCookieFor(done, "device")).toBeDefined();
  expect((await browser.get("/account")).status).toBe(200);
});

test("without remember me, the logged-in cookie ends with the browser", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { secret } = await twoFactorUser(app, clock, "eve@example.com");
  const browser = app.client();
  await passwordStep(browser, "eve@example.com");
  const done = await browser.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
  expect(done.status).toBe(303);
  expect(setCookieFor(done, "sid")).not.toMatch(/Expires=/);
});

test("a wrong code is refused; a code already used is refused the second time (replay)", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { secret } = await twoFactorUser(app, clock, "bob@example.com");
  const code = totpCode(secret, clock.now());

  const attacker = app.client();
  await passwordStep(attacker, "bob@example.com");
  const wrong = await attacker.post("/login/two-factor", {
    code: code === "123456" ? "654321" : "123456",
  });
  expect(wrong.status).toBe(401);
  expect(wrong.body).toContain("That code is not right");
  expect((await attacker.get("/account")).status).toBe(303);

  const owner = app.client();
  await passwordStep(owner, "bob@example.com");
  expect((await owner.post("/login/two-factor", { code })).status).toBe(303);

  // The same code seen over a shoulder, a moment later, in the same 30 seconds.
  clock.advance(5_000);
  const replay = app.client();
  await passwordStep(replay, "bob@example.com");
  expect((await replay.post("/login/two-factor", { code })).status).toBe(401);
  // And an older one, still inside the drift window, is before the step used: refused too.
  expect(
    (await replay.post("/login/two-factor", { code: totpCode(secret, clock.now() - STEP_MS) }))
      .status,
  ).toBe(401);
});

test("one step of drift either way is accepted, two are not", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { secret } = await twoFactorUser(app, clock, "cat@example.com");
  const attempt = async (offsetSteps: number) => {
    const client = app.client();
    await passwordStep(client, "cat@example.com");
    return (
      await client.post("/login/two-factor", {
        code: totpCode(secret, clock.now() + offsetSteps * STEP_MS),
      })
    ).status;
  };
  // The code that turned two-factor on was one step ago: start from a fresh step.
  clock.advance(STEP_MS);
  expect(await attempt(-2)).toBe(401);
  expect(await attempt(2)).toBe(401);
  expect(await attempt(-1)).toBe(303);
  clock.advance(3 * STEP_MS);
  expect(await attempt(1)).toBe(303);
});

test("the pending state ends after 5 minutes: the code is refused and the password asked again", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { secret } = await twoFactorUser(app, clock, "dan@example.com");
  const browser = app.client();
  await passwordStep(browser, "dan@example.com");

  clock.advance(5 * 60_000 + 1_000);
  const late = await browser.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
  expect(late.status).toBe(303);
  expect(late.location).toBe("/login?twofactor=1");
  expect(sessionIdOf(browser)).toBeUndefined();
  expect((await browser.get("/account")).status).toBe(303);
  const form = await browser.get("/login/two-factor");
  expect(form.status).toBe(303);
  expect(form.location).toBe("/login");
  expect((await browser.get("/login?twofactor=1")).body).toContain("more than 5 minutes");
});

test("a recovery code logs in once; the same code is refused the second time", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { recoveryCodes } = await twoFactorUser(app, clock, "fay@example.com");
  const [first, second] = recoveryCodes as [string, string];

  const browser = app.client();
  await passwordStep(browser, "fay@example.com");
  // In its own field ("Use a recovery code instead"), typed as people do: lower case, spaces
  // instead of dashes.
  const page = await browser.get("/login/two-factor");
  expect(page.body).toContain("Use a recovery code instead");
  expect(page.body).toMatch(/name="code"[^>]*inputmode="numeric"/);
  const done = await browser.post("/login/two-factor", {
    recovery_code: first.toLowerCase().replaceAll("-", " "),
  });
  expect(done.status).toBe(303);
  expect((await browser.get("/account")).body).toContain("You used a recovery code; 9 are left.");

  const again = app.client();
  await passwordStep(again, "fay@example.com");
  const refused = await again.post("/login/two-factor", { recovery_code: first });
  expect(refused.status).toBe(401);
  // The error is beside the field it was typed in, which stays open.
  expect(refused.body).toContain('id="recovery_code-error"');
  expect(refused.body).toContain("That recovery code is not right, or was used already.");
  expect(refused.body).toMatch(/<details class="alternative" open>/);
  // The code field takes a recovery code too, for clients that send it there.
  expect((await again.post("/login/two-factor", { code: second })).status).toBe(303);
});

test("concurrent uses of one recovery code: exactly one logs in", async () => {
  const clock = testClock();
  const app = await startTestApp({
    clock: clock.clock,
    loginLimits: { secondFactorPerUser: 100, perAccount: 100, perIp: 100 },
  });
  const { recoveryCodes } = await twoFactorUser(app, clock, "gus@example.com");
  const clients = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const client = app.client();
      await passwordStep(client, "gus@example.com");
      return client;
    }),
  );
  const statuses = await Promise.all(
    clients.map((c) => c.post("/login/two-factor", { code: recoveryCodes[0] as string })),
  );
  expect(statuses.map((r) => r.status).sort()).toEqual([303, 401, 401, 401, 401, 401]);
});

test("code attempts are limited per account: concurrent wrong codes get at most the limit checked, then even the right code waits", async () => {
  const clock = testClock();
  const app = await startTestApp({
    clock: clock.clock,
    loginLimits: { secondFactorPerUser: 3, perAccount: 100, perIp: 100 },
  });
  const { secret } = await twoFactorUser(app, clock, "hal@example.com");
  const right = totpCode(secret, clock.now());
  const wrong = right === "000000" ? "999999" : "000000";
  // Twelve pending steps (one answer at a time goes through each), guessing at once.
  const browsers = await Promise.all(
    Array.from({ length: 12 }, async () => {
      const browser = app.client();
      await passwordStep(browser, "hal@example.com");
      return browser;
    }),
  );

  const replies = await Promise.all(
    browsers.map((browser) => browser.post("/login/two-factor", { code: wrong })),
  );
  const checked = replies.filter((r) => r.status === 401).length;
  expect(checked).toBeLessThanOrEqual(3);
  expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(9);

  // Another browser with the password does not get more guesses: the count is per account.
  const other = app.client();
  await passwordStep(other, "hal@example.com");
  const refused = await other.post("/login/two-factor", { code: right });
  expect(refused.status).toBe(429);
  expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
});

test("a login without two-factor is unchanged: straight to the account page", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "ivy@example.com");
  expect((await client.get("/account")).status).toBe(200);
  const reply = await logIn(app.client(), "ivy@example.com");
  expect(reply.location).toBe("/account");
});

test("a password change while a login waits for its code ends that login attempt", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client: owner, user } = await loggedInClient(app, "jo@example.com");
  const { secret } = await enableTwoFactor(owner, clock);
  const attacker = app.client();
  await passwordStep(attacker, "jo@example.com");

  await owner.get("/account/security");
  const changed = await owner.post("/account/password", {
    current_password: "correct horse battery staple",
    new_password: "a completely new passphrase",
  });
  expect(changed.status).toBe(303);

  const late = await attacker.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
  expect(late.status).toBe(303);
  expect(late.location).toBe("/login?twofactor=1");
  expect(sessionIdOf(attacker)).toBeUndefined();
  expect((await attacker.get("/account")).status).toBe(303);
  const { rowCount } = await app.pool.query(
    "select 1 from session where sess -> 'passport' ->> 'user' = $1",
    [user.id],
  );
  expect(rowCount).toBe(1);
});

test("a TOTP code and a recovery code sent at once on one pending step: one login, and the loser's recovery code is not used up", async () => {
  const clock = testClock();
  const app = await startTestApp({
    clock: clock.clock,
    loginLimits: { secondFactorPerUser: 100, perAccount: 100, perIp: 100 },
  });
  const { secret, recoveryCodes, user } = await twoFactorUser(app, clock, "ida@example.com");
  const recoveryCode = recoveryCodes[1] as string;
  const loggedInSessions = async () =>
    Number(
      (
        await app.pool.query<{ n: string }>(
          "select count(*) as n from session where sess -> 'passport' ->> 'user' = $1",
          [user.id],
        )
      ).rows[0]?.n,
    );

  for (let round = 0; round < 5; round++) {
    const before = await loggedInSessions();
    const browser = app.client();
    await passwordStep(browser, "ida@example.com");
    clock.advance(STEP_MS);
    const [byCode, byRecovery] = await Promise.all([
      browser.post("/login/two-factor", { code: totpCode(secret, clock.now()) }),
      browser.post("/login/two-factor", { recovery_code: recoveryCode }),
    ]);
    const wins = [byCode, byRecovery].filter((r) => r.status === 303 && r.location === "/account");
    expect(wins, `round ${round}: ${byCode.status} ${byRecovery.status}`).toHaveLength(1);
    // One pending step, one logged-in session; the reply that lost leaves the cookie alone and
    // points at the step's page, which now sends the browser on.
    expect(await loggedInSessions()).toBe(before + 1);
    const lost = wins[0] === byCode ? byRecovery : byCode;
    expect(lost.location).toBe("/login/two-factor");
    expect(setCookieFor(lost, "sid")).toBeUndefined();
    // The recovery code won: it is used once, as it should be.
    if (wins[0] === byRecovery) return;
  }
  // The TOTP code won every round: the recovery code was not spent by the request that lost.
  const later = app.client();
  await passwordStep(later, "ida@example.com");
  expect((await later.post("/login/two-factor", { recovery_code: recoveryCode })).location).toBe(
    "/account",
  );
});
