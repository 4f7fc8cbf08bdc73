import { describe, expect, test } from "vitest";
import { can, ROLES } from "../../../app/features/admin/roles.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, makeUser } from "../../helpers/auth.js";
import { jsonOf } from "../../helpers/http-client.js";
import { registeredRoutes } from "../../helpers/routes.js";
import { testClock } from "../../helpers/totp.js";
import { adminClient, USER_ACTIONS } from "./admin-helpers.js";

const NOT_FOUND = "There is nothing at this address.";

describe("roles: one table, one check", () => {
  test("an admin may do every action; a user, an unknown role and nobody none", () => {
    expect(can({ role: "admin" }, "users.lock")).toBe(true);
    expect(can({ role: "admin" }, "users.impersonate")).toBe(true);
    expect(can({ role: "user" }, "admin.view")).toBe(false);
    expect(can({ role: "support" }, "admin.view")).toBe(false);
    expect(can({ role: "constructor" }, "admin.view")).toBe(false);
    expect(can({ role: "__proto__" }, "admin.view")).toBe(false);
    expect(can(undefined, "admin.view")).toBe(false);
    expect(Object.keys(ROLES)).toEqual(["user", "admin"]);
  });

  test("nobody becomes admin from the web: no route writes users.role", async () => {
    const app = await startTestApp();
    const { client, user } = await loggedInClient(app, "ann@example.com");
    await client.get("/account");
    // A role sent with any form is ignored: registration and the account's forms take no role.
    await client.post("/account/email/resend", { role: "admin" });
    const other = app.client();
    await other.get("/register");
    await other.post("/register", {
      email: "bob@example.com",
      password: "a long passphrase for bob",
      role: "admin",
    });
    const { rows } = await app.pool.query<{ role: string }>("select role from users order by id");
    expect(rows.map((row) => row.role)).toEqual(["user", "user"]);
    expect(user.id).toBeDefined();
  });
});

describe("/admin is not advertised: a 404 for everyone but an administrator", () => {
  test("logged out and as a user, every admin route answers 404, as an unknown address does", async () => {
    const app = await startTestApp();
    const victim = await makeUser(app.pool, "victim@example.com");
    const adminRoutes = registeredRoutes(app.express).filter((route) =>
      route.path.startsWith("/admin"),
    );
    expect(adminRoutes.length).toBeGreaterThanOrEqual(12);
    const { client: user } = await loggedInClient(app, "ann@example.com");
    const anonymous = app.client();
    for (const browser of [anonymous, user]) {
      for (const route of adminRoutes) {
        const path = route.path.replace(":id", victim.id);
        const name = `${route.method} ${path}`;
        const token =
          browser === user
            ? browser.csrfToken((await browser.get("/account")).body)
            : jsonOf<{ csrfToken: string }>(await browser.getJson("/login")).csrfToken;
        const page =
          route.method === "GET"
            ? await browser.get(path)
            : await browser.post(path, { _csrf: token ?? "" });
        expect.soft(page.status, name).toBe(404);
        expect.soft(page.body, name).toContain(NOT_FOUND);
        const script =
          route.method === "GET"
            ? await browser.getJson(path)
            : await browser.postJson(path, {}, token ?? null);
        expect.soft(script.status, `${name} (JSON)`).toBe(404);
        expect.soft(jsonOf<{ error: string }>(script).error, name).toBe("not_found");
      }
    }
    // Nothing happened to the victim.
    const { rows } = await app.pool.query("select locked_at from users where id = $1", [victim.id]);
    expect(rows[0]?.locked_at).toBeNull();
  });

  test("an administrator sees the area", async () => {
    const app = await startTestApp();
    const { client } = await adminClient(app);
    expect((await client.get("/admin")).status).toBe(200);
    expect((await client.get("/admin/audit")).status).toBe(200);
  });
});

describe("every admin POST needs its CSRF token and sudo mode", () => {
  test("without the token: 403, nothing done", async () => {
    const app = await startTestApp();
    const victim = await makeUser(app.pool, "victim@example.com");
    const { client } = await adminClient(app);
    for (const action of USER_ACTIONS) {
      const reply = await client.request("POST", `/admin/users/${victim.id}/${action}`, {
        form: { key: "0".repeat(64) },
      });
      expect.soft(reply.status, action).toBe(403);
      const forged = await client.post(`/admin/users/${victim.id}/${action}`, { _csrf: "forged" });
      expect.soft(forged.status, `${action} (forged)`).toBe(403);
    }
    const stop = await client.request("POST", "/admin/impersonation/stop", { form: {} });
    expect(stop.status).toBe(403);
    const { rows } = await app.pool.query(
      "select count(*)::int as n from admin_audit where action <> 'promote'",
    );
    expect(rows[0]?.n).toBe(0);
    expect((await app.pool.query("select 1 from users where id = $1", [victim.id])).rowCount).toBe(
      1,
    );
  });

  test("more than 10 minutes after the login: each goes to confirm it's you, nothing done", async () => {
    const clock = testClock();
    const app = await startTestApp({ clock: clock.clock });
    const victim = await makeUser(app.pool, "victim@example.com");
    const { client } = await adminClient(app);
    clock.advance(11 * 60 * 1000);
    for (const action of USER_ACTIONS) {
      expect((await client.get(`/admin/users/${victim.id}`)).status).toBe(200);
      const reply = await client.post(`/admin/users/${victim.id}/${action}`, {});
      expect.soft(reply.status, action).toBe(303);
      expect.soft(reply.location, action).toBe("/account/confirm?next=%2Fadmin");
    }
    const { rows } = await app.pool.query(
      "select count(*)::int as n from admin_audit where action <> 'promote'",
    );
    expect(rows[0]?.n).toBe(0);
    const { rows: state } = await app.pool.query("select locked_at from users where id = $1", [
      victim.id,
    ]);
    expect(state[0]?.locked_at).toBeNull();
  });
});
