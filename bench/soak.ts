/**
 * `npm run bench:soak`: the whole app under mixed traffic for a few minutes (SOAK_SECONDS, 120 by
 * default), on the machine's PostgreSQL, to see that it stays up, answers every request as it
 * should, keeps its memory and prunes expired sessions. Not a test: bounded, and run by hand.
 *
 * A fresh database is created on DATABASE_URL's server (dropped at the end); the app runs in a
 * child process (bench/soak-server.ts) with a short idle timeout and prune interval. Virtual users
 * here sign up, read and write their account, log out, log in again, and then log out or walk away
 * (their session must then expire and be pruned). See bench/README.md, "Soak".
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sign } from "cookie-signature";
import pg from "pg";
import { hashStoreKey } from "../app/session/index.js";
import { envNumber } from "./env.js";
import { percentile } from "./load.js";
import { DEFAULT_DATABASE_URL } from "./protocol.js";
import type { SoakMessage, SoakStats } from "./soak-server.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

const settings = {
  seconds: envNumber("SOAK_SECONDS", 120, 5, 3_600),
  users: envNumber("SOAK_USERS", 16, 1, 500),
  idleSeconds: envNumber("SOAK_IDLE_SECONDS", 20, 1, 3_600),
  pruneSeconds: envNumber("SOAK_PRUNE_SECONDS", 5, 1, 3_600),
  abandon: envNumber("SOAK_ABANDON", 0.3, 0, 1),
  databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
};
const SECRET = "soak-secret-not-for-production-0123456789";
const PASSWORD = "soak test password 1234";

// ---- the app's database ------------------------------------------------------------------------

async function admin(sql: string): Promise<void> {
  const client = new pg.Client(settings.databaseUrl);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(settings.databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---- the app -----------------------------------------------------------------------------------

interface AppChild {
  child: ChildProcess;
  url: string;
  stats(): Promise<SoakStats>;
  /** Log lines by level (pino numbers), and the first few at warn or above. */
  levels: Map<number, number>;
  problems: string[];
  stderr(): string;
  stop(): Promise<void>;
}

async function startApp(url: string): Promise<AppChild> {
  const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", tsx, join(benchDir, "soak-server.ts")],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? root,
        NODE_ENV: "development",
        HOST: "127.0.0.1",
        PORT: "0",
        DATABASE_URL: url,
        SESSION_SECRET: SECRET,
        LOG_LEVEL: "warn",
        SOAK_IDLE_SECONDS: String(settings.idleSeconds),
        SOAK_PRUNE_SECONDS: String(settings.pruneSeconds),
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    },
  );
  const levels = new Map<number, number>();
  const problems: string[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      let level = 60;
      try {
        level = Number((JSON.parse(line) as { level?: unknown }).level);
      } catch {
        // Not a log line: count it as the worst.
      }
      levels.set(level, (levels.get(level) ?? 0) + 1);
      if (level >= 40 && problems.length < 5) problems.push(line.slice(0, 600));
    }
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  const waiting = new Map<string, (message: SoakStats) => void>();
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the app did not start within 60 s")), 60_000);
    child.on("message", (message: SoakMessage) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.url);
      } else if (message.type === "stats") {
        waiting.get("stats")?.(message);
        waiting.delete("stats");
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  const appUrl = await ready.catch((error: unknown) => {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw error;
  });

  return {
    child,
    url: appUrl,
    levels,
    problems,
    stderr: () => stderr,
    stats: () =>
      new Promise((resolve) => {
        waiting.set("stats", resolve);
        child.send({ type: "stats" });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.send({ type: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- virtual users -----------------------------------------------------------------------------

type Kind =
  | "signup form"
  | "sign up"
  | "login form"
  | "log in"
  | "read /account"
  | "read /"
  | "read asset"
  | "write"
  | "log out";

const latencies = new Map<Kind, number[]>();
const errors: string[] = [];
let requests = 0;
const abandoned: Array<{ key: string; at: number }> = [];

class Browser {
  readonly cookies = new Map<string, string>();
  token = "";
  constructor(readonly base: string) {}

  async send(
    kind: Kind,
    method: string,
    path: string,
    expect: number,
    form?: Record<string, string>,
  ) {
    const headers: Record<string, string> = { accept: "text/html" };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    }
    let body: string | undefined;
    if (form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams({ _csrf: this.token, ...form }).toString();
    }
    const started = performance.now();
    try {
      const res = await fetch(new URL(path, this.base), {
        method,
        headers,
        body,
        redirect: "manual",
      });
      const text = await res.text();
      const ms = performance.now() - started;
      requests++;
      (latencies.get(kind) ?? latencies.set(kind, []).get(kind))?.push(ms);
      for (const line of res.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const eq = pair.indexOf("=");
        const value = pair.slice(eq + 1);
        if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line))
          this.cookies.delete(pair.slice(0, eq));
        else this.cookies.set(pair.slice(0, eq), value);
      }
      const token = /name="_csrf" value="([^"]*)"/.exec(text)?.[1];
      if (token) this.token = token;
      if (res.status !== expect && errors.length < 1_000) {
        errors.push(`${kind}: ${method} ${path} answered ${res.status}, expected ${expect}`);
      }
    } catch (error) {
      requests++;
      errors.push(`${kind}: ${method} ${path} failed: ${String(error)}`);
    }
  }

  /** The store key of this browser's session (SHA-256 of its ID). */
  storeKey(): string | undefined {
    const value = this.cookies.get("sid");
    if (!value) return undefined;
    const decoded = decodeURIComponent(value);
    const id = decoded.slice(2, decoded.lastIndexOf("."));
    // Only a cookie this app signed names a session.
    return `s:${sign(id, SECRET)}` === decoded ? hashStoreKey(id) : undefined;
  }
}

const WRITES = ["/account/session/touch", "/account/session/save", "/account/session/reload"];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

async function useAccount(browser: Browser): Promise<void> {
  const steps = 3 + Math.floor(Math.random() * 6);
  await browser.send("read /account", "GET", "/account", 200);
  for (let i = 0; i < steps; i++) {
    const roll = Math.random();
    if (roll < 0.4) await browser.send("read /account", "GET", "/account", 200);
    else if (roll < 0.55) await browser.send("read /", "GET", "/", 200);
    else if (roll < 0.7) await browser.send("read asset", "GET", "/static/app.css", 200);
    else await browser.send("write", "POST", pick(WRITES), 303, {});
  }
}

async function virtualUser(index: number, url: string, until: number): Promise<void> {
  for (let cycle = 0; Date.now() < until; cycle++) {
    const browser = new Browser(url);
    const email = `soak-${index}-${cycle}-${randomBytes(3).toString("hex")}@example.com`;
    await browser.send("signup form", "GET", "/register", 200);
    await browser.send("sign up", "POST", "/register", 303, { email, password: PASSWORD });
    await useAccount(browser);
    await browser.send("log out", "POST", "/logout", 303, {});
    await browser.send("login form", "GET", "/login", 200);
    await browser.send("log in", "POST", "/login", 303, { email, password: PASSWORD });
    await useAccount(browser);
    if (Math.random() < settings.abandon) {
      // Walks away: the session stays in the table until it expires and is pruned.
      const key = browser.storeKey();
      if (key) abandoned.push({ key, at: Date.now() });
    } else {
      await browser.send("log out", "POST", "/logout", 303, {});
    }
  }
}

// ---- the run -----------------------------------------------------------------------------------

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function sessionCounts(pool: pg.Pool) {
  const { rows } = await pool.query<{ total: number; expired: number; stale: number }>(
    `select count(*)::int as total,
            count(*) filter (where expire < now())::int as expired,
            count(*) filter (where expire < now() - make_interval(secs => $1))::int as stale
       from session`,
    [settings.pruneSeconds * 1.5 + 2],
  );
  return rows[0] as { total: number; expired: number; stale: number };
}

async function main(): Promise<void> {
  const name = `soak_${randomBytes(5).toString("hex")}`;
  await admin(`create database ${name}`);
  let app: AppChild | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl(name), max: 1 });
  pool.on("error", () => {});
  const out: string[] = [];
  const say = (line = "") => {
    out.push(line);
    console.log(line);
  };
  let failed = false;
  try {
    app = await startApp(databaseUrl(name));
    const start = await app.stats();
    say(
      `[soak] app on ${app.url} (database ${name}); ${settings.users} virtual users for ${settings.seconds} s`,
    );
    say(
      `[soak] idle timeout ${settings.idleSeconds} s, prune every ${settings.pruneSeconds} s (randomised 50-150 %), ${Math.round(settings.abandon * 100)} % of sessions abandoned`,
    );

    const began = Date.now();
    const until = began + settings.seconds * 1000;
    const users = Array.from({ length: settings.users }, (_, i) =>
      virtualUser(i, app?.url as string, until),
    );
    const progress = setInterval(async () => {
      const stats = await app?.stats();
      const counts = await sessionCounts(pool).catch(() => undefined);
      const elapsed = (Date.now() - began) / 1000;
      console.log(
        `[soak] ${elapsed.toFixed(0)} s: ${requests} requests (${(requests / elapsed).toFixed(0)}/s), errors ${errors.length}, rss ${mb(stats?.memory.rss ?? 0)}, heap ${mb(stats?.memory.heapUsed ?? 0)}, session rows ${counts?.total ?? "?"} (expired ${counts?.expired ?? "?"})`,
      );
    }, 10_000);
    await Promise.all(users);
    clearInterval(progress);
    const elapsed = (Date.now() - began) / 1000;
    const end = await app.stats();
    const atEnd = await sessionCounts(pool);

    // Give the last abandoned sessions time to expire and one prune cycle to remove them.
    const wait = (settings.idleSeconds + settings.pruneSeconds * 1.5 + 2) * 1000;
    await sleep(wait);
    const afterWait = await sessionCounts(pool);
    const keys = abandoned.map((session) => session.key);
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from session where sid = any($1)",
      [keys],
    );
    const abandonedLeft = rows[0]?.n ?? -1;

    const all = [...latencies.values()].flat();
    say();
    say(`## Soak: ${new Date().toISOString()}, ${elapsed.toFixed(0)} s, Node ${process.version}`);
    say();
    say(
      `requests ${requests}, throughput ${(requests / elapsed).toFixed(1)} req/s, p50 ${ms(percentile(all, 50))}, p99 ${ms(percentile(all, 99))}, errors ${errors.length}`,
    );
    say();
    say("| kind | requests | p50 | p99 | max |");
    say("|---|---:|---:|---:|---:|");
    for (const [kind, values] of latencies) {
      say(
        `| ${kind} | ${values.length} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 99))} | ${ms(Math.max(...values))} |`,
      );
    }
    say();
    say("| server memory (after GC) | start | end |");
    say("|---|---:|---:|");
    say(`| rss | ${mb(start.memory.rss)} | ${mb(end.memory.rss)} |`);
    say(`| heap used | ${mb(start.memory.heapUsed)} | ${mb(end.memory.heapUsed)} |`);
    say(`| heap total | ${mb(start.memory.heapTotal)} | ${mb(end.memory.heapTotal)} |`);
    say(`| external | ${mb(start.memory.external)} | ${mb(end.memory.external)} |`);
    say();
    say(
      `session rows at the end of traffic: ${atEnd.total} (${atEnd.expired} expired, ${atEnd.stale} expired for more than one prune cycle)`,
    );
    say(
      `after ${(wait / 1000).toFixed(1)} s without traffic: ${afterWait.total} rows (${afterWait.expired} expired, ${afterWait.stale} stale)`,
    );
    say(`abandoned sessions: ${abandoned.length}, still in the table: ${abandonedLeft}`);
    const levels = [...app.levels].map(([level, n]) => `${level}: ${n}`).join(", ");
    say(`app log lines at warn or above (pino levels): ${levels || "none"}`);

    const checks: Array<[string, boolean]> = [
      ["no request failed or got an unexpected status", errors.length === 0],
      ["the app logged no warning or error", app.problems.length === 0 && app.stderr() === ""],
      ["the app is still running", app.child.exitCode === null],
      ["no expired session outlived a prune cycle", atEnd.stale === 0 && afterWait.stale === 0],
      ["every abandoned session was pruned", abandoned.length > 0 && abandonedLeft === 0],
    ];
    say();
    for (const [check, ok] of checks) {
      say(`${ok ? "PASS" : "FAIL"} ${check}`);
      failed ||= !ok;
    }
    for (const error of errors.slice(0, 10)) say(`  error: ${error}`);
    for (const line of app.problems) say(`  app: ${line}`);
    if (app.stderr()) say(`  app stderr: ${app.stderr().slice(0, 2_000)}`);

    mkdirSync(join(benchDir, "results"), { recursive: true });
    writeFileSync(join(benchDir, "results", "soak-latest.md"), `${out.join("\n")}\n`);
  } finally {
    await app?.stop();
    await pool.end();
    await admin(`drop database if exists ${name} with (force)`);
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
