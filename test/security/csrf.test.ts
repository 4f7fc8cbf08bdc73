import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import {
  loggedInClient,
  logIn,
  PASSWORD,
  sessionIdOf,
  sessionRow,
  submitLogin,
} from "../helpers/auth.js";
import { type HttpClient, jsonOf, type Reply } from "../helpers/http-client.js";
import { PROBE_REGENERATE, PROBE_WRITE } from "../helpers/probe-routes.js";

/**
 * Every POST needs the token of the session it is sent with. A forged form (no token, a made-up
 * one, or a real token from the attacker's own session) is refused with 403 and changes nothing.
 */

type Variant = "no token" | "a made-up token" | "another session's token";
const variants: Variant[] = ["no token", "a made-up token", "another session's token"];

let app: TestApp;
/** Ann, logged in: the victim of the forged account forms. */
let ann: HttpClient;
/** Ann's other session (a second device), for the revoke forms. */
let annElsewhere: HttpClient;
/** Mallory, logged in on her own account: her tokens are real, for her session. */
let mallory: HttpClient;

beforeAll(async () => {
  // The probe routes: a private POST of no feature's, behind the app's protection like any other.
  app = await startTestApp({ autoClose: false, probeRoutes: true });
  ({ client: ann } = await loggedInClient(app, "ann@example.com"));
  annElsewhere = app.client({ "user-agent": "Ann's phone" });
  await logIn(annElsewhere, "ann@example.com");
  ({ client: mallory } = await loggedInClient(app, "mallory@example.com"));
});

afterAll(async () => {
  await app.close();
});

/** The token the variant sends, or undefined for none. */
async function tokenFor(variant: Variant, attackerPage: HttpClient): Promise<string | undefined> {
  if (variant === "no token") return undefined;
  if (variant === "a made-up token") return "a".repeat(64);
  await attackerPage.get(attackerPage === mallory ? "/account" : "/login");
  return attackerPage.csrfToken() as string;
}

async function forge(
  victim: HttpClient,
  path: string,
  fields: Record<string, string>,
  token: string | undefined,
): Promise<Reply> {
  const form = token === undefined ? fields : { ...fields, _csrf: token };
  return victim.request("POST", path, { form });
}

function expectRefused(reply: Reply) {
  expect(reply.status).toBe(403);
  expect(reply.body).toContain("<h1>This form has expired</h1>");
  expect(reply.headers.get("cache-control")).toBe("no-store");
}

describe.each(variants)("a form sent with %s is refused", (variant) => {
  test("POST /register creates no account", async () => {
    const visitor = app.client();
    await visitor.get("/register");
    const token = await tokenFor(variant, app.client());
    const reply = await forge(
      visitor,
      "/register",
      { email: "forged@example.com", password: PASSWORD },
      token,
    );
    expectRefused(reply);
    const { rows } = await app.pool.query("select 1 from users where email = 'forged@example.com'");
    expect(rows).toHaveLength(0);
  });

  test("POST /login logs nobody in (login CSRF)", async () => {
    const visitor = app.client();
    await visitor.get("/login");
    const token = await tokenFor(variant, app.client());
    const reply = await forge(
      visitor,
      "/login",
      { email: "mallory@example.com", password: PASSWORD },
      token,
    );
    expectRefused(reply);
    expect((await visitor.get("/account")).status).toBe(303);
  });

  const accountForms: Array<[string, () => Record<string, string>]> = [
    ["/logout", () => ({})],
    [PROBE_WRITE, () => ({})],
    [PROBE_REGENERATE, () => ({})],
    [
      "/account/sessions/revoke",
      () => ({ key: hashStoreKey(sessionIdOf(annElsewhere) as string) }),
    ],
    ["/account/sessions/revoke-others", () => ({})],
    [
      "/account/password",
      () => ({ current_password: PASSWORD, new_password: "mallory chose this password" }),
    ],
  ];

  test.each(accountForms)(
    "POST %s leaves the logged-in user's sessions as they were",
    async (path, fields) => {
      await ann.get("/account");
      const before = sessionIdOf(ann) as string;
      const token = await tokenFor(variant, mallory);
      const reply = await forge(ann, path, fields(), token);
      expectRefused(reply);
      // The rolling cookie may be re-sent, for the same session.
      expect(sessionIdOf(ann)).toBe(before);
      expect(await sessionRow(app.pool, before)).toBeDefined();
      const account = await ann.get("/account");
      expect(account.status).toBe(200);
      expect(account.body).toContain("Logged in as <strong>ann@example.com</strong>");
      expect((await annElsewhere.get("/account")).status).toBe(200);
      // The password is the one Ann chose.
      expect((await submitLogin(app.client(), "ann@example.com")).status).toBe(303);
    },
  );
});

test("a script's request with a wrong X-CSRF-Token gets a JSON 403", async () => {
  const { client: script } = await loggedInClient(app, "script@example.com");
  const reply = await script.postJson(PROBE_REGENERATE, {}, "not-the-token");
  expect(reply.status).toBe(403);
  expect(jsonOf(reply)).toEqual({
    error: "invalid_csrf_token",
    message: "The form was old, or sent from another site. Go back, reload the page and try again.",
  });
  const missing = await script.postJson("/logout", {}, null);
  expect(missing.status).toBe(403);
  expect((await script.getJson("/account")).status).toBe(200);
});

test("a form left open from before login no longer posts: its token belonged to the old session", async () => {
  const visitor = app.client();
  await visitor.get("/register");
  const staleToken = visitor.csrfToken() as string;
  await logIn(visitor, "ann@example.com");
  const reply = await forge(visitor, "/logout", {}, staleToken);
  expectRefused(reply);
  expect((await visitor.get("/account")).status).toBe(200);
});
