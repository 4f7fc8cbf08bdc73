import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";
import { PASSWORD, sessionIdFromCookie, sessionRow, setCookieFor } from "../helpers/auth.js";
import { plainGet, type RunningCaddy, requireCaddy, startCaddy } from "../helpers/caddy.js";
import { HttpClient } from "../helpers/http-client.js";
import type { HttpsClient } from "../helpers/https-client.js";
import { buildImageTree, type ImageTree } from "../helpers/image-tree.js";
import { linkIn, startTestSmtp, type TestSmtp } from "../helpers/mail.js";
import { baseEnv, freePort, ProcessGroup, runToEnd, waitUntil } from "../helpers/processes.js";
import {
  type AppInstance,
  MIGRATE_COMMAND,
  requestLines,
  startAppInstance,
} from "../helpers/production-app.js";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/scratch-database.js";
import { makeTempDir } from "../helpers/temp-dir.js";

// docker-compose.yml as local processes: a fresh database on the machine's PostgreSQL, the
// `migrate` service's command, two `app` instances (the image's CMD, compose's environment) and
// Caddy with the repository's Caddyfile in front, changed by environment only. Everything
// listens on 127.0.0.1 and is stopped by PID at the end.

const COOKIE = "__Host-sid";
// The login and sign-up forms' stateless CSRF cookie (no session row until login).
const CSRF_COOKIE = "__Host-csrf";
/** Exactly what the login answer must set: no Domain, no Expires (not "remember me"). */
const SESSION_COOKIE = /^__Host-sid=s%3A[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/;

let dir: ReturnType<typeof makeTempDir>;
let tree: ImageTree;
let database: ScratchDatabase | undefined;
let firstMigration: { code: number | null; output: string };
let one: AppInstance;
let two: AppInstance;
/** Production, but TRUST_PROXY unset: believes no X-Forwarded-* header. */
let untrusted: AppInstance;
let proxy: RunningCaddy;
/** Production requires SMTP_URL: the instances send through a real SMTP server. */
let smtp: TestSmtp | undefined;
const APP_URL = "https://app.example";
const processes = new ProcessGroup();

function migrate() {
  const [command = "", ...args] = MIGRATE_COMMAND;
  return runToEnd(command === "node" ? process.execPath : command, args, {
    cwd: tree.dir,
    env: baseEnv(tree.dir, { NODE_ENV: "production", DATABASE_URL: database?.url ?? "" }),
  });
}

function startApp(name: string, env: Record<string, string | undefined> = {}) {
  return startAppInstance(processes, tree, name, database?.url ?? "", {
    SMTP_URL: smtp?.url,
    APP_URL,
    ...env,
  });
}

beforeAll(async () => {
  requireCaddy();
  dir = makeTempDir("topology");
  tree = await buildImageTree(join(dir.path, "image"));
  database = await createScratchDatabase();
  smtp = await startTestSmtp({ autoClose: false });
  firstMigration = await migrate();
  expect(firstMigration.code, firstMigration.output).toBe(0);
  [one, two, untrusted] = await Promise.all([
    startApp("app-1"),
    startApp("app-2"),
    startApp("app-untrusted", { TRUST_PROXY: undefined }),
  ]);
  proxy = await startCaddy(
    processes,
    join(dir.path, "caddy"),
    [one, two].map((app) => `127.0.0.1:${app.port}`),
  );
}, 240_000);

afterAll(async () => {
  await processes.stopAll(5_000);
  await smtp?.close();
  await database?.drop();
  dir?.remove();
}, 60_000);

/** A new visitor signs up through the proxy; returns their client, logged in. */
async function signUp(prefix: string): Promise<{ client: HttpsClient; email: string }> {
  const client = proxy.client();
  const email = `${prefix}-${randomBytes(4).toString("hex")}@example.com`;
  expect((await client.get("/register")).status).toBe(200);
  const reply = await client.post("/register", { email, password: PASSWORD });
  expect(reply.status, reply.body).toBe(303);
  expect(reply.location).toBe("/account");
  return { client, email };
}

test("sign-up through the proxy sends the verification mail over SMTP_URL, its link on APP_URL", async () => {
  const { email } = await signUp("mail");
  const mail = await (smtp as TestSmtp).nextMailTo(email);
  expect(linkIn(mail, "/email/verify/").startsWith(`${APP_URL}/email/verify/`)).toBe(true);
});

test("the migrate step applies every migration to the fresh database, and a rerun has nothing to do", async () => {
  const names = readdirSync(join(projectRoot, "migrations"))
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => file.replace(/\.sql$/, ""));
  expect(firstMigration.output).toContain(`up: ${names.join(", ")}`);

  const again = await migrate();
  expect(again.code, again.output).toBe(0);
  expect(again.output).toContain("Nothing to migrate.");
});

test("the built app imports production dependencies only (all the image installs)", () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const imported = new Set<string>();
  for (const file of readdirSync(join(tree.dir, "dist"), { recursive: true, encoding: "utf8" })) {
    if (!file.endsWith(".js")) continue;
    const code = readFileSync(join(tree.dir, "dist", file), "utf8");
    for (const [, specifier = ""] of code.matchAll(/(?:from |import\()"([^".][^"]*)"/g)) {
      if (!specifier.startsWith("node:"))
        imported.add(/^(@[^/]+\/)?[^/]+/.exec(specifier)?.[0] ?? "");
    }
  }
  expect(imported.size).toBeGreaterThan(10);
  expect([...imported].filter((name) => !(name in pkg.dependencies))).toEqual([]);
});

test("plain HTTP on the proxy is redirected to the HTTPS site", async () => {
  const reply = await plainGet(proxy.httpPort, "/login", `localhost:${proxy.httpPort}`);
  expect(reply.status).toBe(308);
  expect(reply.location).toBe(`https://localhost:${proxy.origin.port}/login`);
});

test("register, log out and log in through the proxy over HTTPS; the cookie is __Host-sid; Path=/; HttpOnly; Secure; SameSite=Lax", async () => {
  const client = proxy.client();
  const email = `ann-${randomBytes(4).toString("hex")}@example.com`;
  const form = await client.get("/register");
  expect(form.status).toBe(200);
  // The form writes no session: its CSRF token is a stateless __Host- cookie, over HTTPS only.
  expect(setCookieFor(form, COOKIE)).toBeUndefined();
  expect(setCookieFor(form, CSRF_COOKIE)).toMatch(
    /^__Host-csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
  );

  const registered = await client.post("/register", { email, password: PASSWORD });
  expect(registered.status, registered.body).toBe(303);
  expect(setCookieFor(registered, COOKIE)).toMatch(SESSION_COOKIE);
  const account = await client.get("/account");
  expect(account.status).toBe(200);
  expect(account.body).toContain(email);

  expect((await client.post("/logout")).status).toBe(303);
  expect((await client.get("/login")).status).toBe(200);
  const login = await client.post("/login", { email, password: PASSWORD });
  expect(login.status, login.body).toBe(303);
  expect(login.location).toBe("/account");
  expect(setCookieFor(login, COOKIE)).toBe(
    `${COOKIE}=${client.cookies.get(COOKIE)}; Path=/; HttpOnly; Secure; SameSite=Lax`,
  );
  expect((await client.get("/account")).body).toContain(email);
});

test("the proxy sends requests to both instances in turn, and each knows the session", async () => {
  const { client, email } = await signUp("bob");
  const marks = [one, two].map((app) => app.process.output().length);

  for (let i = 0; i < 6; i += 1) {
    const page = await client.get("/account");
    expect(page.status).toBe(200);
    expect(page.body).toContain(email);
  }

  // Each instance logged its share of the six /account requests (round robin: three each).
  const served = await waitUntil(
    "both instances to log their requests",
    () => {
      const counts = [one, two].map(
        (app, i) => requestLines(app, marks[i]).filter((line) => urlOf(line) === "/account").length,
      );
      return counts[0] !== undefined && counts[1] !== undefined && counts[0] + counts[1] === 6
        ? counts
        : undefined;
    },
    5_000,
  );
  expect(served).toEqual([3, 3]);
});

test("an instance reached directly from the trusted proxy address knows a session made through the proxy", async () => {
  const { client, email } = await signUp("cat");
  const cookie = client.cookies.get(COOKIE);
  expect(cookie).toBeDefined();

  for (const app of [one, two]) {
    // What Caddy sends: from 127.0.0.1 (TRUST_PROXY=1), saying the client came over HTTPS.
    const direct = new HttpClient(app.url, { "x-forwarded-proto": "https" });
    direct.cookies.set(COOKIE, cookie ?? "");
    const page = await direct.get("/account");
    expect(page.status, app.url).toBe(200);
    expect(page.body).toContain(email);
  }
});

test("log out through the proxy: the session row is deleted, the cookie cleared, /account sends to /login", async () => {
  const { client } = await signUp("dan");
  const cookie = client.cookies.get(COOKIE) ?? "";
  const sessionId = sessionIdFromCookie(cookie);
  const pool = database?.pool;
  if (!pool) throw new Error("no database");
  expect(await sessionRow(pool, sessionId)).toBeDefined();

  // The logout button is on the account page (its form carries the CSRF token).
  expect((await client.get("/account")).status).toBe(200);
  const out = await client.post("/logout");
  expect(out.status).toBe(303);
  expect(out.location).toBe("/login?loggedout=1");
  expect(setCookieFor(out, COOKIE)).toBe(
    `${COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`,
  );
  expect(await sessionRow(pool, sessionId)).toBeUndefined();

  const after = await client.get("/account");
  expect(after.status).toBe(303);
  expect(after.location).toBe("/login?next=%2Faccount");
  // The old cookie, replayed, opens nothing on either instance.
  client.cookies.set(COOKIE, cookie);
  for (let i = 0; i < 2; i += 1) {
    const replay = await client.get("/account");
    expect(replay.status).toBe(303);
    expect(replay.location).toBe("/login?next=%2Faccount&expired=1");
  }
});

test("plain HTTP straight to an instance (no proxy) never gets a session cookie", async () => {
  for (const app of [one, two]) {
    const visitor = new HttpClient(app.url);
    for (const path of ["/login", "/register"]) {
      const page = await visitor.get(path);
      expect(page.status).toBe(200);
      expect(page.setCookies).toEqual([]);
    }
  }
});

// The form pages put a CSRF token in a new session; over plain HTTP its Secure cookie cannot be
// sent, so storing it would leave a row no browser can ever name (app/security/csrf.ts).
test("plain HTTP straight to an instance writes no session row either", async () => {
  const pool = database?.pool;
  if (!pool) throw new Error("no database");
  const count = async () =>
    (await pool.query<{ n: number }>("select count(*)::int as n from session")).rows[0]?.n;
  const before = await count();
  for (const app of [one, two]) {
    for (const path of ["/login", "/register"]) {
      expect((await new HttpClient(app.url).get(path)).status).toBe(200);
    }
  }
  expect(await count()).toBe(before);
});

test("a forged X-Forwarded-Proto is believed only from the trusted proxy address", async () => {
  const forged = { "x-forwarded-proto": "https" };
  // TRUST_PROXY unset: the header is ignored, the request is plain HTTP, so no Secure cookie.
  const refused = await new HttpClient(untrusted.url, forged).get("/login");
  expect(refused.status).toBe(200);
  expect(refused.setCookies).toEqual([]);

  // The same request to an instance that trusts 127.0.0.1 (where the proxy is) gets one.
  const believed = await new HttpClient(one.url, forged).get("/login");
  expect(setCookieFor(believed, CSRF_COOKIE)).toMatch(/^__Host-csrf=/);
});

test("through the proxy, a client's own X-Forwarded-* headers are replaced by Caddy's", async () => {
  const marks = [one, two].map((app) => app.process.output().length);
  const reply = await proxy.client().get("/login?spoof=1", {
    "x-forwarded-proto": "http",
    "x-forwarded-for": "203.0.113.9",
  });
  // Caddy said https (the client's "http" was dropped): the Secure cookie is set.
  expect(setCookieFor(reply, CSRF_COOKIE)).toMatch(/^__Host-csrf=/);

  const line = await waitUntil(
    "the instance's log line",
    () =>
      [one, two]
        .flatMap((app, i) => requestLines(app, marks[i]))
        .find((entry) => urlOf(entry) === "/login?spoof=1"),
    5_000,
  );
  const headers = (line.req as { headers: Record<string, string> }).headers;
  expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
  expect(headers["x-forwarded-proto"]).toBe("https");
});

test("the image's HEALTHCHECK passes against a running instance and fails when none answers", async () => {
  const [command = "", ...args] = tree.healthcheck;
  const node = command === "node" ? process.execPath : command;
  const check = (port: number) =>
    runToEnd(node, args, {
      cwd: tree.dir,
      env: baseEnv(tree.dir, { PORT: String(port) }),
      timeoutMs: 10_000,
    });

  expect((await check(one.port)).code).toBe(0);
  expect((await check(await freePort())).code).toBe(1);
});

test("SIGTERM stops every instance gracefully (exit code 0), as `docker compose down` does", async () => {
  for (const app of [one, two, untrusted]) {
    const { code, signal } = await app.process.stop(15_000);
    expect({ name: app.process.name, code, signal }).toEqual({
      name: app.process.name,
      code: 0,
      signal: null,
    });
    expect(app.process.output()).toContain('"msg":"stopped"');
  }
});

function urlOf(line: Record<string, unknown>): string | undefined {
  return (line.req as { url?: string } | undefined)?.url;
}
