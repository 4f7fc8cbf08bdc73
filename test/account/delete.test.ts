import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import {
  countSessionRows,
  loggedInClient,
  logIn,
  setCookieFor,
  submitLogin,
} from "../helpers/auth.js";
import { hasFeature } from "../helpers/features.js";
import { registerPasskey } from "../helpers/passkeys.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { enableTwoFactor, testClock } from "../helpers/totp.js";

test.skipIf(!hasFeature("two-factor") || !hasFeature("passkeys"))(
  "deleting the account: the user, every session, the two-factor secret, recovery codes and passkeys are gone; the cookie is cleared; the home page says so; the old password logs nobody in",
  async () => {
    const clock = testClock();
    const app = await startTestApp({ clock: clock.clock });
    const { client, user } = await loggedInClient(app, "ann@example.com");
    const elsewhere = app.client();
    await logIn(elsewhere, "ann@example.com");
    await enableTwoFactor(client, clock);
    expect((await registerPasskey(client, new SoftAuthenticator(app.url))).status).toBe(201);
    const other = await makeOtherUser(app);
    const sessionsBefore = await countSessionRows(app.pool);

    await client.get("/account/security");
    const reply = await client.post("/account/delete", { email: "ANN@example.com" });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/?deleted=1");
    expect(setCookieFor(reply, "sid")).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(client.cookies.has("sid")).toBe(false);

    for (const [table, column] of [
      ["users", "id"],
      ["two_factor", "user_id"],
      ["recovery_codes", "user_id"],
      ["passkeys", "user_id"],
    ] as const) {
      const { rowCount } = await app.pool.query(`select 1 from ${table} where ${column} = $1`, [
        user.id,
      ]);
      expect(rowCount, table).toBe(0);
    }
    // Every session of Ann's is gone (this one and the other browser's); the other user's stays.
    const { rowCount: annSessions } = await app.pool.query(
      "select 1 from session where sess -> 'passport' ->> 'user' = $1",
      [user.id],
    );
    expect(annSessions).toBe(0);
    expect(await countSessionRows(app.pool)).toBeLessThan(sessionsBefore);
    expect((await other.get("/account")).status).toBe(200);
    expect((await elsewhere.get("/account")).status).toBe(303);

    const home = await client.get(reply.location as string);
    expect(home.status).toBe(200);
    expect(home.body).toContain("Your account was deleted.");
    expect(home.setCookies).toEqual([]);
    expect((await client.get("/account")).status).toBe(303);

    const again = await submitLogin(app.client(), "ann@example.com");
    expect(again.status).toBe(401);
  },
);

test("the typed address must be the account's: otherwise nothing is deleted", async () => {
  const app = await startTestApp();
  const { client, user } = await loggedInClient(app, "bob@example.com");
  await client.get("/account/security");
  for (const email of ["", "someone@example.com"]) {
    const reply = await client.post("/account/delete", { email });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("Type your email address exactly as shown");
  }
  const { rowCount } = await app.pool.query("select 1 from users where id = $1", [user.id]);
  expect(rowCount).toBe(1);
  expect((await client.get("/account")).status).toBe(200);
});

test("the home page's notice is only for the query, and writes no session", async () => {
  const app = await startTestApp();
  const visitor = app.client();
  const home = await visitor.get("/?deleted=1");
  expect(home.body).toContain("Your account was deleted.");
  expect(home.setCookies).toEqual([]);
  expect(await countSessionRows(app.pool)).toBe(0);
  expect((await visitor.get("/")).body).not.toContain("Your account was deleted.");
});

async function makeOtherUser(app: Awaited<ReturnType<typeof startTestApp>>) {
  const { client } = await loggedInClient(app, "other@example.com");
  await logIn(app.client(), "other@example.com");
  return client;
}
