import type { Express } from "express";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createApp } from "../../app/app.js";
import { createSessionStore, type SessionStore } from "../../app/db/session-store.js";
import { countSessionRows, logIn, makeUser, sessionIdOf, sessionRow } from "../helpers/auth.js";
import { testDatabaseUrl } from "../helpers/database.js";
import { HttpClient } from "../helpers/http-client.js";
import { type Listening, listen } from "../helpers/listen.js";
import { captureLogs } from "../helpers/logs.js";
import { PROBE_REGENERATE, PROBE_WRITE, probeRoutes } from "../helpers/probe-routes.js";
import { testConfig } from "../helpers/test-config.js";
import { createTestSchema, type TestSchema } from "../helpers/test-schema.js";

/**
 * Every route that changes something (POST, PUT, PATCH, DELETE), found by walking the router of
 * the app createApp builds, refuses a logged-in user's request without a CSRF token. A route
 * added later without the protection fails here without anyone having to list it. The app is
 * built with the probe routes mounted through its extraRoutes hook, as a later feature's could be.
 */

interface LayerLike {
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

interface FoundRoute {
  method: string;
  path: string;
}

const UNSAFE = ["post", "put", "patch", "delete"];

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, "/");
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}

/** The unsafe routes of a router stack, nested routers included, with their full paths. */
function unsafeRoutes(stack: LayerLike[], prefix = ""): FoundRoute[] {
  const found: FoundRoute[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const { path, methods } = layer.route;
      // A pattern: a concrete path that matches it (parameters and wildcards filled in).
      const paths = (Array.isArray(path) ? path : [path]).map((p) =>
        typeof p === "string" ? p.replace(/[:*]\w+/g, "x") : "/x",
      );
      const verbs = methods._all ? UNSAFE : UNSAFE.filter((verb) => methods[verb]);
      for (const p of paths) {
        for (const verb of verbs) found.push({ method: verb.toUpperCase(), path: join(prefix, p) });
      }
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === "string" ? layer.rawPath : "/";
      found.push(...unsafeRoutes(layer.handle.stack, join(prefix, mount)));
    }
  }
  return found;
}

let schema: TestSchema;
let store: SessionStore;
let server: Listening;
let app: Express;
let routes: FoundRoute[];

beforeAll(async () => {
  schema = await createTestSchema();
  const logs = captureLogs();
  const config = testConfig({ DATABASE_URL: testDatabaseUrl() });
  store = createSessionStore(schema.pool, config, logs.logger);
  app = createApp({
    config,
    pool: schema.pool,
    logger: logs.logger,
    sessionStore: store,
    extraRoutes: probeRoutes(schema.pool),
  });
  server = await listen(app);
  routes = unsafeRoutes((app.router as unknown as { stack: LayerLike[] }).stack);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await schema?.drop();
});

test("the walk finds every form of the app (so an empty list cannot pass)", () => {
  const paths = routes.map((route) => `${route.method} ${route.path}`);
  expect(paths).toEqual(
    expect.arrayContaining([
      "POST /register",
      "POST /login",
      "POST /logout",
      `POST ${PROBE_WRITE}`,
      `POST ${PROBE_REGENERATE}`,
      "POST /account/sessions/revoke",
      "POST /account/sessions/revoke-others",
      "POST /account/password",
    ]),
  );
});

test("each one, sent by a logged-in user without a token (form or script): 403, and nothing changed", async () => {
  const user = await makeUser(schema.pool, "ann@example.com");
  const browser = new HttpClient(server.url);
  await logIn(browser, "ann@example.com");
  await browser.get("/account");
  const id = sessionIdOf(browser) as string;
  const before = await sessionRow(schema.pool, id);
  expect(routes.length).toBeGreaterThanOrEqual(11);

  for (const { method, path } of routes) {
    const form = await browser.request(method, path, {
      form: { email: "x@example.com", password: "a password of some length", key: "0".repeat(64) },
    });
    expect(form.status, `${method} ${path} (form)`).toBe(403);
    expect(form.body, `${method} ${path}`).toContain("<h1>This form has expired</h1>");

    const script = await browser.request(method, path, {
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ _csrf: "" }),
    });
    expect(script.status, `${method} ${path} (script)`).toBe(403);
    expect(JSON.parse(script.body)).toMatchObject({ error: "invalid_csrf_token" });
  }

  // Still logged in, on the same session, with the same data; nobody was registered.
  expect(sessionIdOf(browser)).toBe(id);
  const after = await sessionRow(schema.pool, id);
  expect(after?.sess.passport).toEqual({ user: user.id });
  expect(after?.sess.csrfToken).toBe(before?.sess.csrfToken);
  expect((await browser.get("/account")).status).toBe(200);
  const { rows } = await schema.pool.query("select email from users order by id");
  expect(rows).toEqual([{ email: "ann@example.com" }]);
  expect(await countSessionRows(schema.pool)).toBe(1);
});
