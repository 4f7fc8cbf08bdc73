import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import {
  loggedInClient,
  logIn,
  PASSWORD,
  sessionIdOf,
  sessionRow,
  submitLogin,
} from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";
import { PROBE_WRITE } from "../helpers/probe-routes.js";

const NEW_PASSWORD = "a completely new passphrase";

test("changing the password: this session gets a new ID and stays in, every other session ends, only the new password works", async () => {
  const app = await startTestApp();
  const { client: here, user } = await loggedInClient(app, "ann@example.com");
  const there = app.client();
  await logIn(there, "ann@example.com");
  const before = sessionIdOf(here) as string;
  const oldCookie = here.cookies.get("sid") as string;

  await here.get("/account");
  const reply = await here.post("/account/password", {
    current_password: PASSWORD,
    new_password: NEW_PASSWORD,
  });
  expect(reply.status).toBe(303);
  expect(reply.location).toBe("/account/security");

  const after = sessionIdOf(here) as string;
  expect(after).not.toBe(before);
  expect(await sessionRow(app.pool, before)).toBeUndefined();
  expect((await sessionRow(app.pool, after))?.sess.passport).toEqual({ user: user.id });
  const page = await here.get("/account/security");
  expect(page.status).toBe(200);
  expect(page.body).toContain("Password changed. Every other session was logged out.");

  const kicked = await there.get("/account");
  expect(kicked.status).toBe(303);
  expect(kicked.location).toBe("/login?next=%2Faccount&expired=1");
  const copy = app.client();
  copy.cookies.set("sid", oldCookie);
  expect((await copy.get("/account")).status).toBe(303);

  expect((await submitLogin(app.client(), "ann@example.com")).status).toBe(401);
  await logIn(app.client(), "ann@example.com", { password: NEW_PASSWORD });
});

test("a wrong current password changes nothing, and says so beside the field", async () => {
  const app = await startTestApp();
  const { client: here } = await loggedInClient(app, "bob@example.com");
  const there = app.client();
  await logIn(there, "bob@example.com");
  const before = sessionIdOf(here);

  await here.get("/account");
  const reply = await here.post("/account/password", {
    current_password: "not my password",
    new_password: NEW_PASSWORD,
  });
  expect(reply.status).toBe(400);
  expect(reply.body).toContain(
    '<p class="error" id="current_password-error" role="alert">That is not your current password.</p>',
  );
  expect(reply.body).not.toContain(NEW_PASSWORD);
  expect(reply.body).not.toContain("not my password");

  expect(sessionIdOf(here)).toBe(before);
  expect((await there.get("/account")).status).toBe(200);
  await logIn(app.client(), "bob@example.com");
  expect(
    (await submitLogin(app.client(), "bob@example.com", { password: NEW_PASSWORD })).status,
  ).toBe(401);
});

test("the new password must be long enough; both fields are required", async () => {
  const app = await startTestApp();
  const { client: here } = await loggedInClient(app, "cat@example.com");
  await here.get("/account");
  const short = await here.post("/account/password", {
    current_password: PASSWORD,
    new_password: "too short",
  });
  expect(short.status).toBe(400);
  expect(short.body).toContain(
    '<p class="error" id="new_password-error" role="alert">Use at least 12 characters.</p>',
  );

  const empty = await here.post("/account/password", { current_password: "", new_password: "" });
  expect(empty.status).toBe(400);
  expect(empty.body).toContain(
    '<p class="error" id="current_password-error" role="alert">Enter your password.</p>',
  );
  await logIn(app.client(), "cat@example.com");
});

test("a JSON client gets the field errors as JSON", async () => {
  const app = await startTestApp();
  const { client: script } = await loggedInClient(app, "dan@example.com");
  await script.get("/account");
  const reply = await script.postJson("/account/password", {
    current_password: "wrong one",
    new_password: NEW_PASSWORD,
  });
  expect(reply.status).toBe(400);
  expect(jsonOf<{ errors: unknown }>(reply).errors).toEqual({
    current_password: "That is not your current password.",
  });
});

test("what the session holds (a cart, a feature's state) survives the password change's new ID", async () => {
  const app = await startTestApp({ probeRoutes: true });
  const { client } = await loggedInClient(app, "cart@example.com");
  for (const _ of [1, 2]) {
    await client.get("/account");
    expect((await client.post(PROBE_WRITE, {})).status).toBe(303);
  }
  await client.get("/account");
  const before = sessionIdOf(client) as string;
  expect((await sessionRow(app.pool, before))?.sess.probeWrites).toBe(2);

  const reply = await client.post("/account/password", {
    current_password: PASSWORD,
    new_password: NEW_PASSWORD,
  });
  expect(reply.status).toBe(303);
  const after = sessionIdOf(client) as string;
  expect(after).not.toBe(before);
  // The data moved to the new ID; what a login sets (who, its CSRF token) was set anew.
  const row = await sessionRow(app.pool, after);
  expect(row?.sess.probeWrites).toBe(2);
  expect(row?.sess.csrfToken).not.toBe((await sessionRow(app.pool, before))?.sess.csrfToken);
});
