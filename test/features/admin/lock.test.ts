import { Router } from "express";
import { describe, expect, test } from "vitest";
import { findUserById } from "../../../app/auth/users.js";
import type { Feature } from "../../../app/core/feature.js";
import { features } from "../../../app/feature-list.js";
import { hashStoreKey } from "../../../app/session/index.js";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import {
  loggedInClient,
  logIn,
  makeUser,
  PASSWORD,
  sessionIdOf,
  submitLogin,
} from "../../helpers/auth.js";
import { hasFeature } from "../../helpers/features.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { jsonOf } from "../../helpers/http-client.js";
import { whileRequestsInFlight } from "../../helpers/in-flight.js";
import { NEW_DEVICE_SUBJECT, startTestSmtp } from "../../helpers/mail.js";
import { signInWithProvider, startAppWithProvider } from "../../helpers/oidc-provider.js";
import { registerPasskey, signInWithPasskey } from "../../helpers/passkeys.js";
import { SoftAuthenticator } from "../../helpers/soft-authenticator.js";
import { adminClient, press } from "./admin-helpers.js";

const REFUSED = "be signed in to right now. If you think this is a mistake, contact us.";

async function expectLoggedOut(client: HttpClient) {
  const reply = await client.get("/account");
  expect(reply.status).toBe(303);
  expect(reply.location).toMatch(/^\/login\?next=/);
}

const lockedAt = async (app: TestApp, id: string) =>
  (
    await app.pool.query<{ locked_at: Date | null }>("select locked_at from users where id = $1", [
      id,
    ])
  ).rows[0]?.locked_at;

describe("Lock: every session ends at once, every sign-in is refused until Unlock", () => {
  test("the user's sessions end, the password is refused with a neutral message, a mail and the trail say so", async () => {
    const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
    const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
    const { client: laptop, user } = await loggedInClient(app, "ann@example.com");
    const phone = app.client();
    await logIn(phone, "ann@example.com");
    const { client: admin } = await adminClient(app);

    const locked = await press(admin, user.id, "lock");
    expect(locked.status).toBe(303);
    expect(locked.location).toBe(`/admin/users/${user.id}`);
    expect((await admin.get(`/admin/users/${user.id}`)).body).toContain(
      "is locked: every session ended.",
    );
    expect(await lockedAt(app, user.id)).toBeInstanceOf(Date);
    await expectLoggedOut(laptop);
    await expectLoggedOut(phone);

    // The right password: refused, and the page says nothing of why.
    const again = app.client();
    const refused = await submitLogin(again, "ann@example.com");
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(REFUSED);
    expect(refused.body).not.toMatch(/locked/i);
    await expectLoggedOut(again);
    const script = app.client();
    await script.getJson("/login");
    const json = await script.postJson(
      "/login",
      { email: "ann@example.com", password: "correct horse battery staple" },
      jsonOf<{ csrfToken: string }>(await script.getJson("/login")).csrfToken,
    );
    expect(json.status).toBe(403);
    expect(jsonOf<{ error: string }>(json).error).toBe("sign_in_refused");

    const mail = await smtp.nextMailTo("ann@example.com");
    expect(mail.subject).toBe("Your account was locked");
    if (hasFeature("activity")) {
      const { rows } = await app.pool.query(
        "select kind from security_events where user_id = $1 and kind like 'admin%'",
        [user.id],
      );
      expect(rows).toEqual([{ kind: "admin_locked" }]);
    }

    // Unlock: the password works again.
    expect((await press(admin, user.id, "unlock")).status).toBe(303);
    expect(await lockedAt(app, user.id)).toBeNull();
    await logIn(app.client(), "ann@example.com");

    const { rows: audit } = await app.pool.query<{
      action: string;
      actor_email: string;
      target_email: string;
    }>(
      "select action, actor_email, target_email from admin_audit where action in ('lock', 'unlock') order by id",
    );
    expect(audit).toEqual([
      { action: "lock", actor_email: "admin@example.com", target_email: "ann@example.com" },
      { action: "unlock", actor_email: "admin@example.com", target_email: "ann@example.com" },
    ]);
  });

  test.skipIf(!hasFeature("passkeys"))("a locked user's passkey signs nobody in", async () => {
    const app = await startTestApp({ hostname: "localhost" });
    const { client, user } = await loggedInClient(app, "pat@example.com");
    const authenticator = new SoftAuthenticator(app.url);
    expect((await registerPasskey(client, authenticator)).status).toBe(201);
    const { client: admin } = await adminClient(app);
    await press(admin, user.id, "lock");
    await expectLoggedOut(client);

    const browser = app.client();
    const reply = await signInWithPasskey(browser, authenticator);
    expect(reply.status).toBe(403);
    expect(jsonOf<{ error: string; message: string }>(reply)).toMatchObject({
      error: "sign_in_refused",
      message: expect.stringContaining(REFUSED),
    });
    await expectLoggedOut(browser);
  });

  test.skipIf(!hasFeature("providers"))("a locked user's provider signs nobody in", async () => {
    const { app, provider } = await startAppWithProvider();
    provider.accounts.set("sub-zoe", { email: "zoe@example.com", email_verified: true });
    const first = app.client();
    expect((await signInWithProvider(first, "sub-zoe")).reply.location).toBe("/account");
    const { rows } = await app.pool.query<{ id: string }>(
      "select id::text from users where email = 'zoe@example.com'",
    );
    const id = rows[0]?.id as string;
    const { client: admin } = await adminClient(app);
    await press(admin, id, "lock");
    await expectLoggedOut(first);

    const browser = app.client();
    const { reply } = await signInWithProvider(browser, "sub-zoe");
    expect(reply.status).toBe(403);
    expect(reply.body).toContain(REFUSED);
    await expectLoggedOut(browser);
  });

  test.skipIf(!hasFeature("email-sign-in"))(
    "a locked user's emailed code signs nobody in",
    async () => {
      const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
      const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
      const user = await makeUser(app.pool, "fay@example.com");
      const { client: admin } = await adminClient(app);
      await press(admin, user.id, "lock");
      await smtp.nextMailTo("fay@example.com"); // "Your account was locked"
      const browser = app.client();
      await browser.get("/login");
      const asked = await browser.post("/login/email", { email: user.email, password: "" });
      expect(asked.status).toBe(200);
      const mail = await smtp.nextMailTo("fay@example.com");
      const code = /^(\d{6})$/m.exec(mail.text)?.[1] as string;
      const reply = await browser.post("/login/email/code", { code });
      expect(reply.status).toBe(403);
      expect(reply.body).toContain(REFUSED);
      await expectLoggedOut(browser);
    },
  );

  test("any sign-in method a feature adds later is refused too: the one pipeline asks", async () => {
    // A method of the test's own (as email sign-in would be): it proves the user somehow, then
    // ends in kit.signIn.firstFactor like every method.
    const magic: Feature = {
      name: "magic",
      setup: (kit) => ({
        routes: Router().post("/test/magic", async (req, res) => {
          const user = await findUserById(kit.pool, String(req.body?.id));
          if (!user) return void res.status(404).end();
          await kit.signIn.firstFactor(req, res, user, { method: "magic", remember: false });
        }),
      }),
    };
    const app = await startTestApp({ features: [...features, magic] });
    const user = await makeUser(app.pool, "magic@example.com");
    const { client: admin } = await adminClient(app);
    await press(admin, user.id, "lock");
    const browser = app.client();
    const token = jsonOf<{ csrfToken: string }>(await browser.getJson("/login")).csrfToken;
    const reply = await browser.postJson("/test/magic", { id: user.id }, token);
    expect(reply.status).toBe(403);
    expect(jsonOf<{ error: string }>(reply).error).toBe("sign_in_refused");
    await expectLoggedOut(browser);
  });

  test("the command line's lock refuses sign-ins the same way", async () => {
    const app = await startTestApp();
    const user = await makeUser(app.pool, "cli@example.com");
    const { runCommand } = await import("../../../app/features/admin/commands.js");
    expect((await runCommand(app.pool, ["lock", user.email])).ok).toBe(true);
    expect((await submitLogin(app.client(), user.email)).status).toBe(403);
  });
});

/**
 * The attack: the locked user (or whoever holds their cookie) keeps requests in flight while the
 * administrator presses "Lock". A request that loaded the session before the lock must not write
 * it back when it finishes: after every run, the session is gone and logs nobody in.
 */
const RUNS = 12;
const LOOPS = 8;

test(`lock with requests in flight on the user's session: ${RUNS} runs, ${LOOPS} loops each`, async () => {
  const app = await startTestApp({ probeRoutes: true });
  const user = await makeUser(app.pool, "racer@example.com");
  const { client: admin } = await adminClient(app);
  for (let run = 0; run < RUNS; run++) {
    const victim = app.client();
    await logIn(victim, user.email);
    const id = sessionIdOf(victim) as string;
    const page = await victim.get("/account");
    const token = victim.csrfToken(page.body) as string;
    // Page views and session writes (the probe), as a busy browser would send.
    const request = (first: boolean) =>
      first || Math.random() < 0.5
        ? victim.get("/account")
        : victim.post("/account/probe/write", { _csrf: token });
    await whileRequestsInFlight(LOOPS, request, async () => {
      const reply = await press(admin, user.id, "lock");
      expect(reply.status).toBe(303);
    });
    // The session stays gone, and the cookie logs nobody in.
    const { rowCount } = await app.pool.query("select 1 from session where sid = $1", [
      hashStoreKey(id),
    ]);
    expect(rowCount, `run ${run}`).toBe(0);
    await expectLoggedOut(victim);
    await press(admin, user.id, "unlock");
  }
}, 180_000);

test("sign-ins racing the lock: whichever way each one falls, none is logged in afterwards", async () => {
  const app = await startTestApp({ loginLimits: { perIp: 1000, perAccount: 1000 } });
  const user = await makeUser(app.pool, "rush@example.com");
  const { client: admin } = await adminClient(app);
  await admin.get(`/admin/users/${user.id}`);
  const browsers = Array.from({ length: 8 }, () => app.client());
  // Each browser has its login form open; then all submit while the admin presses "Lock".
  for (const browser of browsers) await browser.get("/login");
  const logins = browsers.map((browser) =>
    browser.post("/login", { email: user.email, password: PASSWORD }),
  );
  const lock = admin.post(`/admin/users/${user.id}/lock`, {});
  const replies = await Promise.all(logins);
  expect((await lock).status).toBe(303);
  for (const reply of replies) expect([303, 403]).toContain(reply.status);
  // A sign-in that passed the check before the mark read the account before the lock's bump of
  // its session generation: its session, saved or not, logs nobody in.
  for (const browser of browsers) await expectLoggedOut(browser);
});
