import { describe, expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD, sessionIdOf, sessionRow } from "../helpers/auth.js";
import type { HttpClient } from "../helpers/http-client.js";
import { whileRequestsInFlight } from "../helpers/in-flight.js";

/**
 * The attack: B's cookie is in someone else's hands, and they keep requests in flight on it
 * (8 loops of GET /account, each page view changing the session) while the owner, on session A,
 * ends B. Before the fix, a request that loaded B before the end wrote B's row back when it
 * finished, and B stayed logged in. Now B is logged out at the end of every run.
 */
const RUNS = 50;
const LOOPS = 8;
// 50 logins (and for the password change, 100 more argon2 hashes): a bound for slow machines.
const TIMEOUT_MS = 180_000;

async function expectLoggedOut(app: TestApp, client: HttpClient, sessionId: string, run: number) {
  const after = await client.get("/account");
  expect(after.status, `run ${run}: B still logged in`).toBe(303);
  const row = await sessionRow(app.pool, sessionId);
  expect(row?.sess.passport?.user, `run ${run}: B's row still names the user`).toBeUndefined();
}

async function accountToken(client: HttpClient): Promise<string> {
  const page = await client.get("/account");
  expect(page.status).toBe(200);
  return client.csrfToken() as string;
}

/**
 * RUNS times: B logs in as Ann, loops run on B, and A (Ann's other session) ends B with `end`;
 * then B must be logged out. `passwordFor(run)` is Ann's password at the start of that run.
 */
async function everyRunEndsB(
  end: (a: HttpClient, token: string, bId: string, run: number) => Promise<void>,
  passwordFor: (run: number) => string = () => PASSWORD,
): Promise<void> {
  const app = await startTestApp();
  await makeUser(app.pool, "ann@example.com");
  const a = app.client();
  await logIn(a, "ann@example.com");
  for (let run = 0; run < RUNS; run++) {
    const b = app.client();
    await logIn(b, "ann@example.com", { password: passwordFor(run) });
    const bId = sessionIdOf(b) as string;
    const token = await accountToken(a);
    await whileRequestsInFlight(
      LOOPS,
      () => b.get("/account"),
      () => end(a, token, bId, run),
    );
    await expectLoggedOut(app, b, bId, run);
    expect((await a.get("/account")).status, `run ${run}: A was logged out`).toBe(200);
  }
}

describe("a destroyed session stays destroyed, with requests in flight on it", () => {
  test(
    `revoked from the sessions page: ${RUNS} runs, ${LOOPS} request loops on B each`,
    () =>
      everyRunEndsB(async (a, token, bId) => {
        const reply = await a.post("/account/sessions/revoke", {
          _csrf: token,
          key: hashStoreKey(bId),
        });
        expect(reply.status).toBe(303);
      }),
    TIMEOUT_MS,
  );

  test(
    `"log out everywhere else": ${RUNS} runs`,
    () =>
      everyRunEndsB(async (a, token) => {
        const reply = await a.post("/account/sessions/revoke-others", { _csrf: token });
        expect(reply.location).toBe("/account/sessions");
      }),
    TIMEOUT_MS,
  );

  test(
    `a password change: ${RUNS} runs`,
    () => {
      const other = "a different passphrase for Ann";
      const passwordFor = (run: number) => (run % 2 === 0 ? PASSWORD : other);
      return everyRunEndsB(async (a, token, _bId, run) => {
        const reply = await a.post("/account/password", {
          _csrf: token,
          current_password: passwordFor(run),
          new_password: passwordFor(run + 1),
        });
        expect(reply.location, reply.body.slice(0, 300)).toBe("/account/security");
      }, passwordFor);
    },
    TIMEOUT_MS,
  );
});

describe("a stale session dies even if it was saved", () => {
  test("B's row written back after a password change still logs nobody in", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "ann@example.com");
    const a = app.client();
    await logIn(a, "ann@example.com");
    const b = app.client();
    await logIn(b, "ann@example.com");
    const key = hashStoreKey(sessionIdOf(b) as string);
    const { rows } = await app.pool.query<{ sess: unknown; expire: Date }>(
      "select sess, expire from session where sid = $1",
      [key],
    );
    const saved = rows[0];
    expect(saved).toBeDefined();

    const token = await accountToken(a);
    const changed = await a.post("/account/password", {
      _csrf: token,
      current_password: PASSWORD,
      new_password: "a brand new passphrase",
    });
    expect(changed.location).toBe("/account/security");
    // As an in-flight request with a store that upserts would do: B's copy, written back.
    await app.pool.query("insert into session (sid, sess, expire) values ($1, $2, $3)", [
      key,
      JSON.stringify(saved?.sess),
      saved?.expire,
    ]);
    expect((await b.get("/account")).status).toBe(303);
    expect((await a.get("/account")).status).toBe(200);
  });
});
