import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, logIn } from "../../helpers/auth.js";
import {
  enableTwoFactor,
  STEP_MS,
  shownRecoveryCodes,
  shownSecret,
  testClock,
  totpCode,
} from "../../helpers/totp.js";

test("the security page's button leads to a QR code (inline SVG, no style or script) and the secret; the app's code turns two-factor on and shows ten recovery codes once", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, user } = await loggedInClient(app, "ann@example.com");

  const security = await client.get("/account/security");
  expect(security.status).toBe(200);
  expect(security.body).toContain('<form method="get" action="/account/two-factor/setup">');
  expect(security.body).toContain('<button type="submit">Set up two-factor</button>');
  expect((await client.get("/account")).body).toContain('href="/account/security"');

  const page = await client.get("/account/two-factor/setup");
  expect(page.status).toBe(200);
  const secret = shownSecret(page.body);
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const svg = /<svg[\s\S]*?<\/svg>/.exec(page.body)?.[0] ?? "";
  expect(svg).toContain("<path");
  expect(svg).not.toMatch(/style=|<script/i);
  expect(page.body).not.toMatch(/<script(?! src=)/);
  // Reloading the page shows the same secret (the app may already have scanned it).
  expect(shownSecret((await client.get("/account/two-factor/setup")).body)).toBe(secret);

  const done = await client.post("/account/two-factor/setup", {
    code: totpCode(secret, clock.now()),
  });
  expect(done.status).toBe(200);
  const codes = shownRecoveryCodes(done.body);
  expect(codes).toHaveLength(10);
  expect(new Set(codes).size).toBe(10);

  // At rest: the secret is sealed, the codes hashed; neither appears in the database.
  const { rows } = await app.pool.query<{ secret: string }>(
    "select secret from two_factor where user_id = $1",
    [user.id],
  );
  expect(rows[0]?.secret).toMatch(/^v1\./);
  expect(rows[0]?.secret).not.toContain(secret);
  const { rows: stored } = await app.pool.query<{ code_hash: string }>(
    "select code_hash from recovery_codes where user_id = $1",
    [user.id],
  );
  expect(stored).toHaveLength(10);
  const dump = JSON.stringify(stored) + JSON.stringify(rows);
  for (const code of codes) expect(dump).not.toContain(code.replaceAll("-", ""));
  const sessions = await app.pool.query<{ sess: unknown }>("select sess from session");
  expect(JSON.stringify(sessions.rows)).not.toContain(secret);
  expect(app.logs.text()).not.toContain(secret);

  // Never shown again: the setup page goes back to the security page, which says it is on.
  const again = await client.get("/account/two-factor/setup");
  expect(again.status).toBe(303);
  expect(again.location).toBe("/account/security");
  const on = await client.get("/account/security");
  expect(on.body).toContain("10 recovery codes left");
  expect(on.body).not.toContain(secret);
  expect(on.body).not.toContain(codes[0]);
});

test("a wrong code does not turn two-factor on", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, user } = await loggedInClient(app, "bob@example.com");
  const secret = shownSecret((await client.get("/account/two-factor/setup")).body);
  const right = totpCode(secret, clock.now());
  const wrong = right === "000000" ? "111111" : "000000";

  const reply = await client.post("/account/two-factor/setup", { code: wrong });
  expect(reply.status).toBe(400);
  expect(reply.body).toContain("That code is not right");
  // A code two steps away is not accepted either.
  const far = await client.post("/account/two-factor/setup", {
    code: totpCode(secret, clock.now() - 2 * STEP_MS),
  });
  expect(far.status).toBe(400);
  const { rowCount } = await app.pool.query("select 1 from two_factor where user_id = $1", [
    user.id,
  ]);
  expect(rowCount).toBe(0);
});

test("turning two-factor off deletes the secret and the codes; the password alone logs in again", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, user } = await loggedInClient(app, "cat@example.com");
  await enableTwoFactor(client, clock);
  await client.get("/account/security");
  const off = await client.post("/account/two-factor/disable");
  expect(off.status).toBe(303);
  expect((await client.get("/account/security")).body).toContain(
    "Two-factor authentication is off.",
  );
  for (const table of ["two_factor", "recovery_codes"]) {
    const { rowCount } = await app.pool.query(`select 1 from ${table} where user_id = $1`, [
      user.id,
    ]);
    expect(rowCount).toBe(0);
  }
  const again = await logIn(app.client(), "cat@example.com");
  expect(again.location).toBe("/account");
});
