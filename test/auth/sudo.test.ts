import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, PASSWORD, sessionIdOf } from "../helpers/auth.js";
import { hasFeature } from "../helpers/features.js";
import type { HttpClient } from "../helpers/http-client.js";
import { PROBE_REGENERATE } from "../helpers/probe-routes.js";
import { enableTwoFactor, type TestClock, testClock, totpCode } from "../helpers/totp.js";

const ELEVEN_MINUTES = 11 * 60_000;
const NEW_PASSWORD = "a completely new passphrase";

async function countRows(app: { pool: import("pg").Pool }, sql: string, userId: string) {
  const { rowCount } = await app.pool.query(sql, [userId]);
  return rowCount ?? 0;
}

/** Every action that needs sudo mode, as the security page's forms send it. */
const actions: Array<{
  name: string;
  form: Record<string, string>;
  path: string;
  twoFactor: boolean;
  /** The page the confirmation returns to (the form's own page). */
  returnTo?: string;
}> = [
  {
    name: "changing the password",
    path: "/account/password",
    form: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    twoFactor: false,
  },
  {
    name: "turning two-factor off",
    path: "/account/two-factor/disable",
    form: {},
    twoFactor: true,
  },
  {
    name: "new recovery codes",
    path: "/account/two-factor/recovery-codes",
    form: {},
    twoFactor: true,
  },
  { name: "deleting the account", path: "/account/delete", form: {}, twoFactor: false },
  {
    name: "changing the email address",
    path: "/account/email",
    form: { new_email: "somewhere.else@example.com", current_password: PASSWORD },
    twoFactor: false,
    returnTo: "/account/email",
  },
];

async function setUp(withTwoFactor: boolean, email: string) {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, user } = await loggedInClient(app, email);
  const secret = withTwoFactor ? (await enableTwoFactor(client, clock)).secret : undefined;
  return { app, clock, client, user, secret };
}

async function confirm(
  client: HttpClient,
  clock: TestClock,
  secret?: string,
  next = "/account/security",
) {
  const page = await client.get(`/account/confirm?next=${encodeURIComponent(next)}`);
  expect(page.status).toBe(200);
  const form: Record<string, string> = { password: PASSWORD, next };
  if (secret) form.code = totpCode(secret, clock.now());
  return client.post("/account/confirm", form);
}

for (const action of actions) {
  test.skipIf(action.twoFactor && !hasFeature("two-factor"))(
    `${action.name}: after 10 minutes it sends you to confirm (nothing changes, the POST is not replayed); after confirming it works`,
    async () => {
      const { app, clock, client, user, secret } = await setUp(
        action.twoFactor,
        `${action.path.replaceAll("/", "")}@example.com`,
      );
      const form = action.path === "/account/delete" ? { email: user.email } : action.form;
      const before = {
        twoFactor: await countRows(app, "select 1 from two_factor where user_id = $1", user.id),
        codes: (
          await app.pool.query<{ code_hash: string }>(
            "select code_hash from recovery_codes where user_id = $1 order by code_hash",
            [user.id],
          )
        ).rows,
      };
      const { rows: hashRows } = await app.pool.query<{ password_hash: string }>(
        "select password_hash from users where id = $1",
        [user.id],
      );

      clock.advance(ELEVEN_MINUTES);
      await client.get("/account/security");
      const refused = await client.post(action.path, form);
      expect(refused.status).toBe(303);
      const returnTo = action.returnTo ?? "/account/security";
      expect(refused.location).toBe(`/account/confirm?next=${encodeURIComponent(returnTo)}`);
      // Nothing changed.
      const { rows: after } = await app.pool.query<{ password_hash: string }>(
        "select password_hash from users where id = $1",
        [user.id],
      );
      expect(after).toEqual(hashRows);
      expect(await countRows(app, "select 1 from two_factor where user_id = $1", user.id)).toBe(
        before.twoFactor,
      );
      expect(
        (
          await app.pool.query(
            "select code_hash from recovery_codes where user_id = $1 order by code_hash",
            [user.id],
          )
        ).rows,
      ).toEqual(before.codes);
      expect((await client.get("/account")).status).toBe(200);

      const sessionBefore = sessionIdOf(client);
      const confirmed = await confirm(client, clock, secret, returnTo);
      expect(confirmed.status).toBe(303);
      expect(confirmed.location).toBe(returnTo);
      expect(sessionIdOf(client)).not.toBe(sessionBefore);

      await client.get("/account/security");
      const done = await client.post(action.path, form);
      expect([200, 303]).toContain(done.status);
      expect(done.location ?? "").not.toMatch(/confirm/);
    },
  );
}

test("a fresh login is sudo mode: the actions need no confirmation for 10 minutes", async () => {
  const { client, clock } = await setUp(false, "fresh@example.com");
  clock.advance(9 * 60_000);
  await client.get("/account/security");
  const reply = await client.post("/account/password", {
    current_password: PASSWORD,
    new_password: NEW_PASSWORD,
  });
  expect(reply.status).toBe(303);
  expect(reply.location).toBe("/account/security");
});

test.skipIf(!hasFeature("two-factor"))(
  "setting up two-factor asks for confirmation too, and comes back to the setup page (a GET)",
  async () => {
    const { client, clock } = await setUp(false, "setup@example.com");
    clock.advance(ELEVEN_MINUTES);
    const reply = await client.get("/account/two-factor/setup");
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/account/confirm?next=%2Faccount%2Ftwo-factor%2Fsetup");
    const confirmed = await confirm(client, clock, undefined, "/account/two-factor/setup");
    expect(confirmed.location).toBe("/account/two-factor/setup");
    expect((await client.get("/account/two-factor/setup")).status).toBe(200);
  },
);

test.skipIf(!hasFeature("two-factor"))(
  "renewing the session ID (renewUserSession, here through the probe) does not renew sudo mode",
  async () => {
    // The app's clock starts 10 minutes behind the real one and ends 1 minute ahead: the login is
    // 11 minutes old, and a renewal that took the time from Date.now() would reopen sudo mode.
    const clock = testClock(Date.now() - 10 * 60_000);
    const app = await startTestApp({ clock: clock.clock, probeRoutes: true });
    const { client } = await loggedInClient(app, "renew@example.com");
    clock.advance(ELEVEN_MINUTES);
    await client.get("/account");
    const before = sessionIdOf(client);
    expect((await client.post(PROBE_REGENERATE)).location).toBe("/account");
    expect(sessionIdOf(client)).not.toBe(before);
    await client.get("/account/security");
    const reply = await client.post("/account/two-factor/disable");
    expect(reply.location).toMatch(/^\/account\/confirm/);
  },
);

test.skipIf(!hasFeature("two-factor"))(
  "confirm: a wrong password, or with two-factor on a missing or wrong code, is refused; next stays on this site",
  async () => {
    const { client, clock, secret } = await setUp(true, "conf@example.com");
    clock.advance(ELEVEN_MINUTES);
    await client.get("/account/confirm?next=/account/security");
    const wrong = await client.post("/account/confirm", { password: "not my password", next: "/" });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain("That is not your password.");
    const noCode = await client.post("/account/confirm", { password: PASSWORD, next: "/" });
    expect(noCode.status).toBe(400);
    expect(noCode.body).toContain("That code is not right.");
    await client.get("/account/security");
    expect((await client.post("/account/two-factor/disable")).location).toMatch(/confirm/);

    await client.get("/account/confirm");
    const evil = await client.post("/account/confirm", {
      password: PASSWORD,
      code: totpCode(secret as string, clock.now()),
      next: "//evil.example/",
    });
    expect(evil.status).toBe(303);
    expect(evil.location).toBe("/account/security");
  },
);

test("confirm counts password checks as every current-password check is", async () => {
  const clock = testClock();
  const app = await startTestApp({
    clock: clock.clock,
    loginLimits: { currentPasswordPerUser: 2 },
  });
  const { client } = await loggedInClient(app, "lim@example.com");
  await client.get("/account/confirm");
  for (const _ of [1, 2]) {
    expect((await client.post("/account/confirm", { password: "wrong password" })).status).toBe(
      400,
    );
  }
  const limited = await client.post("/account/confirm", { password: PASSWORD });
  expect(limited.status).toBe(429);
});

test.skipIf(!hasFeature("two-factor"))(
  "a JSON client without sudo mode gets 403 and where to confirm",
  async () => {
    const { client, clock } = await setUp(false, "json@example.com");
    clock.advance(ELEVEN_MINUTES);
    await client.get("/account/security");
    const reply = await client.postJson("/account/two-factor/disable", {});
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toEqual({
      error: "reauthentication_required",
      message: "Confirm it's you first.",
      confirm: "/account/confirm?next=%2Faccount%2Fsecurity",
    });
  },
);
