import { describe, expect, test } from "vitest";
import { hashStoreKey } from "../../../app/session/index.js";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { loggedInClient, makeUser, sessionIdOf } from "../../helpers/auth.js";
import { hasFeature } from "../../helpers/features.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { jsonOf } from "../../helpers/http-client.js";
import { startAppWithProvider } from "../../helpers/oidc-provider.js";
import { testClock } from "../../helpers/totp.js";
import { adminClient, press, promote } from "./admin-helpers.js";

const BANNER =
  /You are signed in as <strong>ann@example\.com<\/strong> by <strong>admin@example\.com<\/strong>\./;

async function signedInAsAnn(app: TestApp) {
  const ann = await makeUser(app.pool, "ann@example.com");
  const { client, admin } = await adminClient(app);
  const adminSession = sessionIdOf(client) as string;
  const reply = await press(client, ann.id, "impersonate");
  expect(reply.status, reply.body.slice(0, 300)).toBe(303);
  expect(reply.location).toBe("/account");
  return { client, admin, ann, adminSession };
}

const stop = async (client: HttpClient) => {
  const page = await client.get("/account");
  return client.post("/admin/impersonation/stop", { _csrf: client.csrfToken(page.body) ?? "" });
};

describe("Sign in as this user", () => {
  test("a new session as the user, a banner on every page, Stop returns the admin to their own", async () => {
    const app = await startTestApp();
    const { client, ann, adminSession } = await signedInAsAnn(app);
    // A regenerated session: the admin's own is gone from the store, the cookie is a new one.
    const impersonated = sessionIdOf(client) as string;
    expect(impersonated).not.toBe(adminSession);
    expect(
      (await app.pool.query("select 1 from session where sid = $1", [hashStoreKey(adminSession)]))
        .rowCount,
    ).toBe(0);

    for (const path of ["/account", "/account/security", "/account/sessions", "/"]) {
      const page = await client.get(path);
      expect(page.status, path).toBe(200);
      expect(page.body, path).toMatch(BANNER);
      expect(page.body, path).toContain('action="/admin/impersonation/stop"');
      expect(page.body, path).toContain(">Stop</button>");
    }
    const account = jsonOf<{ user: { email: string } }>(await client.getJson("/account"));
    expect(account.user.email).toBe("ann@example.com");
    // The admin area is not there for this session.
    expect((await client.get("/admin")).status).toBe(404);

    const stopped = await stop(client);
    expect(stopped.status).toBe(303);
    expect(stopped.location).toBe(`/admin/users/${ann.id}`);
    const back = await client.get(`/admin/users/${ann.id}`);
    expect(back.status).toBe(200);
    expect(back.body).toContain("You are no longer signed in as ann@example.com.");
    expect(back.body).not.toMatch(BANNER);
    expect(sessionIdOf(client)).not.toBe(impersonated);
    expect(
      (await app.pool.query("select 1 from session where sid = $1", [hashStoreKey(impersonated)]))
        .rowCount,
    ).toBe(0);
    // Back as the admin: sudo mode is asked again before the next change.
    const change = await client.post(`/admin/users/${ann.id}/lock`, {});
    expect(change.location).toBe("/account/confirm?next=%2Fadmin");

    const { rows } = await app.pool.query<{ action: string }>(
      "select action from admin_audit where target_email = 'ann@example.com' order by id",
    );
    expect(rows.map((row) => row.action)).toEqual([
      "impersonation started",
      "impersonation stopped",
    ]);
    if (hasFeature("activity")) {
      const { rows: trail } = await app.pool.query(
        "select kind from security_events where user_id = $1",
        [ann.id],
      );
      expect(trail).toEqual([{ kind: "admin_impersonated" }]);
    }
    // Stop from a session that impersonates nobody: 404.
    expect((await stop(client)).status).toBe(404);
  });

  test("the user's sensitive changes are refused while impersonated", async () => {
    const app = hasFeature("providers") ? (await startAppWithProvider()).app : await startTestApp();
    const { client } = await signedInAsAnn(app);
    const page = await client.get("/account/security");
    const token = client.csrfToken(page.body) ?? "";
    const sensitive: [string, Record<string, string>][] = [
      ["/account/password", { current_password: "x", new_password: "a brand new long passphrase" }],
      ["/account/delete", { email: "ann@example.com" }],
      ["/account/email", { email: "new@example.com" }],
    ];
    if (hasFeature("two-factor")) {
      sensitive.push(
        ["/account/two-factor/setup", { code: "123456" }],
        ["/account/two-factor/disable", {}],
      );
    }
    if (hasFeature("passkeys"))
      sensitive.push(["/account/passkeys/options", {}], ["/account/passkeys/1/delete", {}]);
    if (hasFeature("providers")) sensitive.push(["/account/providers/unlink", {}]);
    for (const [path, form] of sensitive) {
      const reply = await client.post(path, { _csrf: token, ...form });
      expect.soft(reply.status, path).toBe(303);
      expect.soft(reply.location ?? "", path).not.toContain("/account/confirm");
      // The page it goes back to says why.
      expect
        .soft((await client.get(reply.location ?? "/")).body, path)
        .toContain("Not while an administrator is signed in as this user");
      const json = await client.postJson(path, form, token);
      expect.soft(json.status, `${path} (JSON)`).toBe(403);
      expect.soft(jsonOf<{ error: string }>(json).error, path).toBe("not_allowed");
    }
    // GET of a sensitive page too.
    const email = await client.get("/account/email");
    expect(email.status).toBe(403);
    expect(email.body).toContain("Not while an administrator is signed in as this user");
    // Nothing changed.
    expect(
      (await app.pool.query("select 1 from users where email = 'ann@example.com'")).rowCount,
    ).toBe(1);
  });

  test("ends after 30 minutes (the app's clock): the admin is back, the session as the user is gone", async () => {
    const clock = testClock();
    const app = await startTestApp({ clock: clock.clock });
    const { client, ann } = await signedInAsAnn(app);
    const impersonated = sessionIdOf(client) as string;
    clock.advance(29 * 60 * 1000);
    expect((await client.get("/account")).body).toMatch(BANNER);
    clock.advance(2 * 60 * 1000);
    const ended = await client.get("/account/security");
    expect(ended.status).toBe(303);
    expect(ended.location).toBe(`/admin/users/${ann.id}`);
    const back = await client.get(`/admin/users/${ann.id}`);
    expect(back.status).toBe(200);
    expect(back.body).toContain("ended after 30 minutes");
    expect(
      (await app.pool.query("select 1 from session where sid = $1", [hashStoreKey(impersonated)]))
        .rowCount,
    ).toBe(0);
    const { rows } = await app.pool.query<{ action: string }>(
      "select action from admin_audit order by id desc limit 1",
    );
    expect(rows[0]?.action).toBe("impersonation expired");
  });

  test("renewing the session's ID (log out everywhere else) keeps it marked and timed", async () => {
    const app = await startTestApp();
    const { client } = await signedInAsAnn(app);
    const page = await client.get("/account/sessions");
    const renewed = await client.post("/account/sessions/revoke-others", {
      _csrf: client.csrfToken(page.body) ?? "",
    });
    expect(renewed.status).toBe(303);
    expect((await client.get("/account")).body).toMatch(BANNER);
  });

  test("the admin's own sessions ended meanwhile: Stop logs out instead of returning", async () => {
    const app = await startTestApp();
    const { client, admin } = await signedInAsAnn(app);
    await app.pool.query(
      "update users set session_generation = session_generation + 1 where id = $1",
      [admin.id],
    );
    const stopped = await stop(client);
    expect(stopped.location).toBe("/login");
    expect((await client.get("/admin")).status).toBe(404);
    expect((await client.get("/account")).status).toBe(303);
  });

  test("an administrator cannot be signed in as, nor a locked account", async () => {
    const app = await startTestApp();
    const other = await makeUser(app.pool, "other-admin@example.com");
    await promote(app.pool, other.email);
    const { client } = await adminClient(app);
    const refused = await press(client, other.id, "impersonate");
    expect(refused.status).toBe(303);
    expect(refused.location).toBe(`/admin/users/${other.id}`);
    const page = await client.get(`/admin/users/${other.id}`);
    expect(page.body).toContain("An administrator cannot be signed in as");
    expect(page.body).not.toContain("Sign in as this user");
    expect(jsonOf<{ user: { email: string } }>(await client.getJson("/account")).user.email).toBe(
      "admin@example.com",
    );

    const { user: bob } = await loggedInClient(app, "bob@example.com");
    await press(client, bob.id, "lock");
    const locked = await press(client, bob.id, "impersonate");
    expect(locked.location).toBe(`/admin/users/${bob.id}`);
    expect(jsonOf<{ user: { email: string } }>(await client.getJson("/account")).user.email).toBe(
      "admin@example.com",
    );
    const { rows } = await app.pool.query(
      "select count(*)::int as n from admin_audit where action like 'impersonation%'",
    );
    expect(rows[0]?.n).toBe(0);
  });
});
