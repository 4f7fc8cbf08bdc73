import { promisify } from "node:util";
import { sign } from "cookie-signature";
import type { Express } from "express";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../app/app.js";
import type { Config } from "../app/config.js";
import { createSessionStore, type SessionStore } from "../app/db/session-store.js";
import { hashStoreKey } from "../app/session/index.js";
import { type Listening, listen } from "./helpers/listen.js";
import { captureLogs } from "./helpers/logs.js";
import { TEST_SECRET, testConfig } from "./helpers/test-config.js";
import { createTestSchema, type TestSchema } from "./helpers/test-schema.js";

const PRODUCTION = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://unused@127.0.0.1/unused",
  SESSION_SECRET: TEST_SECRET,
  APP_URL: "https://app.example.com",
};

let schema: TestSchema;
const running: Array<{ server: Listening; store: SessionStore }> = [];

beforeAll(async () => {
  schema = await createTestSchema();
});

afterAll(async () => {
  for (const { server, store } of running) {
    await server.close();
    await store.close();
  }
  await schema.drop();
});

/** The real app on this file's schema, served on 127.0.0.1. */
async function start(env: Record<string, string> = {}) {
  const config: Config = testConfig(env);
  const store = createSessionStore(schema.pool, config, captureLogs().logger);
  const app: Express = createApp({
    config,
    pool: schema.pool,
    logger: captureLogs().logger,
    sessionStore: store,
  });
  const server = await listen(app);
  running.push({ server, store });
  return { url: server.url, store, app };
}

/**
 * A session already in the store, and the cookie value a browser holding it would send. The
 * app gives the store SHA-256 of the ID (hashStoreKeys), so that is the key used here. A loaded
 * session keeps the cookie attributes it was stored with (as express-session does), so these
 * mirror what the app stores: secure only in production.
 */
async function storedSession(
  store: SessionStore,
  sid: string,
  secret: string,
  options: { secure?: boolean; createdAt?: number } = {},
) {
  const cookie = {
    originalMaxAge: 60_000,
    expires: new Date(Date.now() + 60_000),
    httpOnly: true,
    sameSite: "lax",
    secure: options.secure ?? false,
    path: "/",
    createdAt: options.createdAt ?? Date.now(),
  };
  await promisify<string, object, void>((key, data, cb) => store.set(key, data, cb))(
    hashStoreKey(sid),
    { cookie },
  );
  return `s:${sign(sid, secret)}`;
}

const getStored = (store: SessionStore, sid: string) =>
  new Promise((resolve, reject) =>
    store.get(sid, (err, data) => (err ? reject(err) : resolve(data))),
  );

describe("pages", () => {
  test("the home page is HTML, without x-powered-by, and starts no session", async () => {
    const { url } = await start();
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<h1>[^<]+<\/h1>/);
    expect(res.headers.get("x-powered-by")).toBeNull();
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  test("an unknown path is a 404: a page for browsers, JSON for API clients", async () => {
    const { url } = await start();
    const page = await fetch(`${url}/nowhere`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const api = await fetch(`${url}/nowhere`, { headers: { accept: "application/json" } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: "not_found" });
  });
});

describe("the session middleware, as configured", () => {
  test("a returning visitor's cookie is rolled under the name sid", async () => {
    const { url, store } = await start();
    const cookie = await storedSession(store, "returning-visitor", TEST_SECRET);
    const res = await fetch(`${url}/`, {
      headers: { cookie: `sid=${encodeURIComponent(cookie)}` },
    });
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^sid=s%3Areturning-visitor\./);
    const expires = Date.parse(/Expires=([^;]+)/.exec(setCookie)?.[1] ?? "");
    expect(expires).toBeGreaterThan(Date.now() + 50_000);
  });

  test("a cookie signed with an older secret still works, and comes back signed with the first", async () => {
    const oldSecret = "the-previous-secret-kept-for-rotation";
    const { url, store } = await start({ SESSION_SECRET: `${TEST_SECRET},${oldSecret}` });
    const cookie = await storedSession(store, "rotated", oldSecret);
    const res = await fetch(`${url}/`, {
      headers: { cookie: `sid=${encodeURIComponent(cookie)}` },
    });
    const expected = encodeURIComponent(`s:${sign("rotated", TEST_SECRET)}`);
    expect(res.headers.get("set-cookie")).toMatch(new RegExp(`^sid=${expected};`));
  });

  test("a cookie signed with an unknown secret is ignored", async () => {
    const { url, store } = await start();
    const cookie = await storedSession(store, "forged", "not-one-of-the-app-secrets-at-all");
    const res = await fetch(`${url}/`, {
      headers: { cookie: `sid=${encodeURIComponent(cookie)}` },
    });
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  test("a session older than SESSION_MAX_LIFETIME_HOURS is destroyed, however active", async () => {
    const { url, store } = await start({ SESSION_MAX_LIFETIME_HOURS: "1" });
    const cookie = await storedSession(store, "too-old", TEST_SECRET, {
      createdAt: Date.now() - 2 * 3_600_000,
    });
    await fetch(`${url}/`, { headers: { cookie: `sid=${encodeURIComponent(cookie)}` } });
    expect(await getStored(store, hashStoreKey("too-old"))).toBeFalsy();
  });

  test("production: the cookie is __Host-sid, and HTTPS is recognised behind a trusted proxy", async () => {
    const { url, store } = await start({ ...PRODUCTION, TRUST_PROXY: "loopback" });
    const cookie = await storedSession(store, "behind-proxy", TEST_SECRET, { secure: true });
    const viaProxy = await fetch(`${url}/`, {
      headers: { cookie: `__Host-sid=${encodeURIComponent(cookie)}`, "x-forwarded-proto": "https" },
    });
    const setCookie = viaProxy.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-sid=s%3Abehind-proxy\./);
    expect(setCookie).toMatch(/; Secure/i);
  });

  test("production without a trusted proxy: plain HTTP never receives the secure cookie", async () => {
    const { url, store } = await start(PRODUCTION);
    const cookie = await storedSession(store, "no-proxy", TEST_SECRET, { secure: true });
    const res = await fetch(`${url}/`, {
      headers: { cookie: `__Host-sid=${encodeURIComponent(cookie)}`, "x-forwarded-proto": "https" },
    });
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

test("TRUST_PROXY reaches Express", async () => {
  const { app } = await start({ TRUST_PROXY: "10.0.0.0/8" });
  const trusts = app.get("trust proxy fn") as (address: string, hop: number) => boolean;
  expect(trusts("10.1.2.3", 0)).toBe(true);
  expect(trusts("192.0.2.1", 0)).toBe(false);
});
