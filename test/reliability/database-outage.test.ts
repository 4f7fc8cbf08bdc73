import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { logIn, PASSWORD, sessionIdOf } from "../helpers/auth.js";
import { type ChildServer, spawnServer } from "../helpers/child-server.js";
import { HttpClient, jsonOf } from "../helpers/http-client.js";
import { timed, traffic, until } from "../helpers/outage-traffic.js";
import {
  canPauseCluster,
  findPostgresBinaries,
  postgresBinariesRequired,
  TempCluster,
} from "../helpers/postgres-cluster.js";
import { makeTempDir } from "../helpers/temp-dir.js";

/**
 * The app as its own process (app/server.ts, as `npm start` runs it) on a PostgreSQL server
 * this test owns. The server is stopped in the middle of traffic, then started again: while it
 * is down, what needs the database answers 503 quickly and the rest still works; when it is
 * back, the app serves again without a restart and nobody was logged out.
 */

const binaries = findPostgresBinaries();
const missing = "missing" in binaries ? binaries.missing : undefined;
const skip = missing !== undefined && !postgresBinariesRequired;
const title = (name: string) => (skip ? `${name} (not run: ${missing})` : name);
if (skip) console.warn(`database-outage tests not run: ${missing}`);

const USERS = ["ann@example.com", "bob@example.com", "cat@example.com"];
/** The 503 page's promise (views/error.eta via app/http/errors.ts). */
const UNAVAILABLE = "<h1>Temporarily unavailable</h1>";
/** The bound for a request that needs the database while it is down. */
const OUTAGE_ANSWER_MS = 5_000;

let dir: ReturnType<typeof makeTempDir>;
let cluster: TempCluster;
let app: ChildServer;
let url: string;
const browsers = new Map<string, HttpClient>();
const sessionIds = new Map<string, string>();

beforeAll(async () => {
  if (skip) return;
  if (missing !== undefined) throw new Error(`cannot run: ${missing}`);
  if ("missing" in binaries) return;
  cluster = await TempCluster.create(binaries);
  await cluster.start();
  dir = makeTempDir("outage-test");
  app = spawnServer(dir.path, { DATABASE_URL: cluster.url, LOG_LEVEL: "info" });
  url = await app.listening();

  for (const email of USERS) {
    const signup = new HttpClient(url);
    await signup.get("/register");
    const reply = await signup.post("/register", { email, password: PASSWORD });
    expect(reply.status, reply.body).toBe(303);
    // The sessions under test: a login on another browser.
    const browser = new HttpClient(url);
    await logIn(browser, email);
    expect((await browser.get("/account")).status).toBe(200);
    browsers.set(email, browser);
    sessionIds.set(email, sessionIdOf(browser) as string);
  }
}, 120_000);

afterAll(async () => {
  // By PID: the app child, then the cluster's postmaster.
  if (app && app.process.exitCode === null && app.process.signalCode === null) {
    app.process.kill("SIGKILL");
    await app.exited();
  }
  await cluster?.remove();
  dir?.remove();
});

async function waitUntilReady(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}/readyz`);
    await res.arrayBuffer();
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the app did not become ready again within 30 s");
}

function expectAlive() {
  expect(app.process.exitCode).toBeNull();
  expect(app.process.signalCode).toBeNull();
  // Only the app's JSON log lines: no stack printed by Express's final handler, no warning of
  // an unhandled rejection, nothing else on stdout or stderr.
  const lines = app.output().split("\n").filter(Boolean);
  const entries = lines.map((line) => {
    try {
      return JSON.parse(line) as { msg?: string; res?: { statusCode?: number } };
    } catch {
      throw new Error(`the app wrote something other than a log line: ${line}`);
    }
  });
  // Logged as 503s, never as a failed request (500).
  expect(entries.filter((e) => e.msg === "request failed")).toEqual([]);
  expect(entries.filter((e) => e.res?.statusCode === 500)).toEqual([]);
}

describe.skipIf(skip)("PostgreSQL stops in the middle of traffic", () => {
  test(title(
    "requests that need it get the 503 page, the rest works, and it all comes back",
  ), async () => {
    let stopped = false;
    let finished = false;
    const running = traffic(url, browsers.values(), () => finished);
    await until("pages and saves before the outage", () => running.statuses.includes(303));
    const before = running.statuses.length;
    await cluster.stop("fast");
    stopped = true;
    await until("a 503 during the outage", () => running.statuses.slice(before).includes(503));
    finished = true;
    const statuses = await running.finished;
    expect(stopped).toBe(true);
    expect(new Set(statuses)).toEqual(new Set([200, 303, 503]));

    // Down: each user's private page is the 503 page, quickly.
    for (const [email, browser] of browsers) {
      const page = await timed(() => browser.get("/account"));
      expect(page.status, email).toBe(503);
      expect(page.ms, email).toBeLessThan(OUTAGE_ANSWER_MS);
      expect(page.body).toContain(UNAVAILABLE);
      expect(page.headers.get("retry-after")).toBe("5");
      const api = await timed(() => browser.getJson("/account"));
      expect(api.status).toBe(503);
      expect(api.ms).toBeLessThan(OUTAGE_ANSWER_MS);
      expect(jsonOf(api)).toMatchObject({ error: "service_unavailable" });
    }
    // Public pages, assets and the liveness probe do not need it.
    const visitor = new HttpClient(url);
    for (const path of ["/", "/static/app.css", "/static/favicon.svg", "/healthz"]) {
      expect((await visitor.get(path)).status, path).toBe(200);
    }
    const ready = await timed(() => visitor.get("/readyz"));
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(OUTAGE_ANSWER_MS);
    // The home page for someone logged in needs their session (who they are): 503 too.
    const ann = browsers.get("ann@example.com") as HttpClient;
    expect((await ann.get("/")).status).toBe(503);
    // The login and sign-up forms need the store for their CSRF token: a form that could not
    // be sent would be worse than the 503 page.
    for (const path of ["/login", "/register"]) {
      const form = await timed(() => new HttpClient(url).get(path));
      expect(form.status, path).toBe(503);
      expect(form.ms, path).toBeLessThan(OUTAGE_ANSWER_MS);
      expect(form.body, path).toContain(UNAVAILABLE);
    }
    expectAlive();

    // Back: no restart of the app, and every session from before is still logged in.
    await cluster.start();
    await waitUntilReady();
    for (const [email, browser] of browsers) {
      const page = await browser.get("/account");
      expect(page.status, email).toBe(200);
      expect(page.body).toContain(`Logged in as <strong>${email}</strong>`);
      expect(sessionIdOf(browser)).toBe(sessionIds.get(email));
    }
    expectAlive();
  }, 120_000);

  test.skipIf(!canPauseCluster)(
    title(
      `a server that hangs (accepts, never answers): the 503 page still comes within 5 s${canPauseCluster ? "" : " (not run: pausing the server's processes needs Linux's /proc)"}`,
    ),
    async () => {
      for (const browser of browsers.values())
        expect((await browser.get("/account")).status).toBe(200);
      cluster.pause();
      try {
        const pages = await Promise.all(
          [...browsers.values()].flatMap((browser) => [
            timed(() => browser.get("/account")),
            timed(() => browser.get("/account")),
          ]),
        );
        for (const page of pages) {
          expect(page.status).toBe(503);
          expect(page.ms).toBeLessThan(OUTAGE_ANSWER_MS);
          expect(page.body).toContain(UNAVAILABLE);
        }
        const visitor = new HttpClient(url);
        for (const path of ["/", "/static/app.css", "/healthz"]) {
          expect((await visitor.get(path)).status, path).toBe(200);
        }
        const ready = await timed(() => visitor.get("/readyz"));
        expect(ready.status).toBe(503);
        expect(ready.ms).toBeLessThan(OUTAGE_ANSWER_MS);
        expectAlive();
      } finally {
        cluster.resume();
      }
      await waitUntilReady();
      for (const [email, browser] of browsers) {
        const page = await browser.get("/account");
        expect(page.status, email).toBe(200);
        expect(sessionIdOf(browser)).toBe(sessionIds.get(email));
      }
      expectAlive();
    },
    120_000,
  );

  test(title("after both outages the app still shuts down cleanly on SIGTERM"), async () => {
    app.process.kill("SIGTERM");
    expect(await app.exited()).toBe(0);
    expect(app.output()).toContain('"msg":"stopped"');
  }, 30_000);
});
