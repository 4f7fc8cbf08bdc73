import { PGlite } from "@electric-sql/pglite";
import { citext } from "@electric-sql/pglite/contrib/citext";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createApp } from "../../app/app.js";
import { migrate } from "../../app/db/migrate.js";
import { createPool } from "../../app/db/pool.js";
import { createSessionStore, type SessionStore } from "../../app/db/session-store.js";
import { logIn, makeUser, sessionIdOf } from "../helpers/auth.js";
import { HttpClient, jsonOf } from "../helpers/http-client.js";
import { type Listening, listen } from "../helpers/listen.js";
import { type CapturedLogs, captureLogs } from "../helpers/logs.js";
import { timed, traffic, until } from "../helpers/outage-traffic.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { testConfig } from "../helpers/test-config.js";
import { silentMigrationLog } from "../helpers/test-schema.js";

/**
 * The embedded database (PGlite behind pglite-socket, as app/db/embedded.ts runs it) going away
 * under the app. In the app, PGlite lives in the app's own process, so it cannot fail alone;
 * what can go away is the socket server in front of it. Here the test owns both: it stops the
 * socket server and closes PGlite mid-traffic, then opens a new PGlite over the same data
 * folder and a new socket server on the same port. The app (the real createApp, with the
 * embedded Pool settings: one connection) keeps running in this process throughout.
 */

const USERS = ["ann@example.com", "bob@example.com"];
const UNAVAILABLE = "<h1>Temporarily unavailable</h1>";
const OUTAGE_ANSWER_MS = 5_000;

interface Embedded {
  db: PGlite;
  socket: PGLiteSocketServer;
  port: number;
}

let dir: ReturnType<typeof makeTempDir>;
let embedded: Embedded | undefined;
let pool: pg.Pool;
let store: SessionStore;
let server: Listening;
let logs: CapturedLogs;
const browsers = new Map<string, HttpClient>();
const sessionIds = new Map<string, string>();
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);

async function startEmbedded(port: number): Promise<Embedded> {
  const db = await PGlite.create({ dataDir: dir.path, extensions: { citext } });
  const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 3 });
  await socket.start();
  return { db, socket, port: Number(socket.getServerConn().split(":")[1]) };
}

async function stopEmbedded(): Promise<void> {
  const current = embedded;
  embedded = undefined;
  await current?.socket.stop();
  await current?.db.close();
}

beforeAll(async () => {
  process.on("unhandledRejection", recordUnhandled);
  process.on("uncaughtException", recordUnhandled);
  dir = makeTempDir("embedded-outage");
  embedded = await startEmbedded(0);
  const url = `postgres://postgres@127.0.0.1:${embedded.port}/postgres`;
  await migrate({ databaseUrl: url, direction: "up", log: silentMigrationLog });
  logs = captureLogs();
  const config = testConfig({ DATABASE_URL: url });
  pool = createPool(url, "embedded", logs.logger);
  store = createSessionStore(pool, config, logs.logger);
  server = await listen(createApp({ config, pool, logger: logs.logger, sessionStore: store }));

  for (const email of USERS) {
    await makeUser(pool, email);
    const browser = new HttpClient(server.url);
    await logIn(browser, email);
    browsers.set(email, browser);
    sessionIds.set(email, sessionIdOf(browser) as string);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  await pool?.end();
  await stopEmbedded();
  dir?.remove();
  process.off("unhandledRejection", recordUnhandled);
  process.off("uncaughtException", recordUnhandled);
});

function expectNoErrors() {
  expect(unhandled).toEqual([]);
  const entries = logs.entries();
  expect(entries.filter((e) => e.msg === "request failed")).toEqual([]);
  expect(entries.filter((e) => (e.res as { statusCode?: number })?.statusCode === 500)).toEqual([]);
}

test("the embedded database goes away mid-traffic and comes back on the same port and folder: 503 meanwhile, sessions kept", async () => {
  let finished = false;
  const running = traffic(server.url, browsers.values(), () => finished);
  const { statuses } = running;
  await until("pages and saves before the outage", () => statuses.includes(303));
  const port = embedded?.port as number;
  const before = statuses.length;
  await stopEmbedded();
  await until("a 503 during the outage", () => statuses.slice(before).includes(503));
  finished = true;
  expect(new Set(await running.finished)).toEqual(new Set([200, 303, 503]));

  for (const [email, browser] of browsers) {
    const page = await timed(() => browser.get("/account"));
    expect(page.status, email).toBe(503);
    expect(page.ms).toBeLessThan(OUTAGE_ANSWER_MS);
    expect(page.body).toContain(UNAVAILABLE);
    const api = await timed(() => browser.getJson("/account"));
    expect(api.status).toBe(503);
    expect(api.ms).toBeLessThan(OUTAGE_ANSWER_MS);
    expect(jsonOf(api)).toMatchObject({ error: "service_unavailable" });
  }
  const visitor = new HttpClient(server.url);
  for (const path of ["/", "/static/app.css", "/healthz"]) {
    expect((await visitor.get(path)).status, path).toBe(200);
  }
  expect((await visitor.get("/readyz")).status).toBe(503);
  for (const path of ["/login", "/register"]) {
    const form = await timed(() => new HttpClient(server.url).get(path));
    expect(form.status, path).toBe(503);
    expect(form.body, path).toContain(UNAVAILABLE);
  }
  expectNoErrors();

  embedded = await startEmbedded(port);
  expect(embedded.port).toBe(port);
  await expect
    .poll(async () => (await visitor.get("/readyz")).status, { timeout: 15_000 })
    .toBe(200);
  for (const [email, browser] of browsers) {
    const page = await browser.get("/account");
    expect(page.status, email).toBe(200);
    expect(page.body).toContain(`Logged in as <strong>${email}</strong>`);
    expect(sessionIdOf(browser)).toBe(sessionIds.get(email));
  }
  expectNoErrors();
}, 60_000);
