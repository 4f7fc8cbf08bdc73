/**
 * `npm run bench:scale`: does the app's cost stay flat as data and traffic grow?
 *
 * On DATABASE_URL's server it makes two scratch databases, "small" and "big" (the big one seeded
 * with generate_series SQL: SCALE_* below), runs the built app (`node dist/app/server.js`,
 * NODE_ENV=production) on each in turn and reports, as ratios big/small where there are two:
 *
 *   1. the formatters' memory (bench/formatters.ts);
 *   2. the first maintenance run on each database (the app's own runner: each task's rows and
 *      time, from its log lines) and the home page's p99 while each task ran, against without;
 *   3. home and /account at SCALE_CONNECTIONS connections: req/s and p99;
 *   4. /account for a user with 1,000 sessions against one with one: bytes, req/s, p99;
 *   5. statements per page (an in-process app on the big database, its Pool's queries counted);
 *   6. a soak of the app on the big database at a fixed rate for SCALE_SOAK_MINUTES (10), the
 *      app's RSS sampled every 10 s.
 *
 * A benchmark, not a test: it prints PASS/FAIL against the issue's targets and exits 0 unless it
 * crashed. The databases are dropped at the end (SCALE_KEEP=1 keeps them). See bench/README.md.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { createApp } from "../app/app.js";
import { hashPassword } from "../app/auth/passwords.js";
import { loadConfig } from "../app/config.js";
import { migrate } from "../app/db/migrate.js";
import { createSessionStore } from "../app/db/session-store.js";
import { createLogger } from "../app/logger.js";
import { envNumber } from "./env.js";
import { formatterTable, measureFormatters } from "./formatters.js";
import { percentile } from "./load.js";
import { DEFAULT_DATABASE_URL } from "./protocol.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

const settings = {
  databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
  sessions: envNumber("SCALE_SESSIONS", 1_000_000, 0, 100_000_000),
  users: envNumber("SCALE_USERS", 200_000, 1, 100_000_000),
  events: envNumber("SCALE_EVENTS", 2_000_000, 0, 100_000_000),
  rateLimits: envNumber("SCALE_RATE_LIMITS", 500_000, 0, 100_000_000),
  tokens: envNumber("SCALE_TOKENS", 200_000, 0, 100_000_000),
  /** Share of the seeded sessions, counters and tokens already expired: the first run's backlog. */
  expired: envNumber("SCALE_EXPIRED", 0.2, 0, 1),
  connections: envNumber("SCALE_CONNECTIONS", 20, 1, 1_000),
  loadSeconds: envNumber("SCALE_LOAD_SECONDS", 15, 1, 600),
  soakMinutes: envNumber("SCALE_SOAK_MINUTES", 10, 0, 600),
  soakRate: envNumber("SCALE_SOAK_RATE", 100, 1, 10_000),
  keep: process.env.SCALE_KEEP === "1",
};
const SECRET = "scale-bench-secret-not-for-production-0123456789";
const ENCRYPTION_KEY = "00".repeat(32);
const PASSWORD = "scale bench password 1234";
/** The users the load logs in as: one session each; plus one with 1,000 sessions. */
const BENCH_USERS = 20;
const MANY = 1_000;

const lines: string[] = [];
function say(line = "") {
  console.log(line);
  lines.push(line);
}
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

// ---- databases ---------------------------------------------------------------------------------

function urlOf(name: string): string {
  const url = new URL(settings.databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client(settings.databaseUrl);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Sizes {
  users: number;
  sessions: number;
  events: number;
  rateLimits: number;
  tokens: number;
}

const SMALL: Sizes = { users: 0, sessions: 0, events: 0, rateLimits: 0, tokens: 0 };
const BIG: Sizes = {
  users: settings.users,
  sessions: settings.sessions,
  events: settings.events,
  rateLimits: settings.rateLimits,
  tokens: settings.tokens,
};

/**
 * The filler, in a few statements: users (one shared dummy hash), sessions spread over them
 * (rows shaped as the app writes them), security events over the last 100 days (so about a tenth
 * is past the 90-day retention), counters and tokens; `expired` of the sessions, counters and
 * tokens are past their expiry. Then the bench users (a real argon2 hash of PASSWORD).
 */
async function seed(url: string, sizes: Sizes, passwordHash: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const started = performance.now();
  const expired = settings.expired;
  try {
    await pool.query("set statement_timeout = 0");
    if (sizes.users > 0) {
      await pool.query(
        `insert into users (email, password_hash)
         select 'filler' || i || '@example.com', $2 from generate_series(1, $1::int) i`,
        [sizes.users, "$argon2id$v=19$m=19456,t=2,p=1$ZmlsbGVy$ZmlsbGVyZmlsbGVyZmlsbGVy"],
      );
    }
    if (sizes.sessions > 0) {
      // ~400 bytes of JSON each, as a logged-in session with its client details is.
      await pool.query(
        `insert into session (sid, sess, expire)
         select md5('s' || i) || md5('t' || i),
                json_build_object(
                  'cookie', json_build_object('originalMaxAge', 2592000000, 'expires',
                    to_char(e at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'secure', true,
                    'httpOnly', true, 'path', '/', 'sameSite', 'lax', 'createdAt',
                    (extract(epoch from now()) * 1000)::bigint - (i % 86400)::bigint * 1000),
                  'passport', json_build_object('user', (1 + i % $2::int)::text),
                  'generation', 0,
                  'authenticatedAt', (extract(epoch from now()) * 1000)::bigint,
                  'csrfToken', md5('c' || i) || md5('d' || i),
                  'client', json_build_object('userAgent',
                    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
                    'ip', '198.51.100.' || (i % 250), 'loggedInAt',
                    (extract(epoch from now()) * 1000)::bigint)),
                e
           from generate_series(1, $1::int) i,
                -- (i in it: a lateral subquery without it would be evaluated once, for all rows)
                lateral (select case when random() < $3 and i > 0
                                     then now() - random() * interval '10 days'
                                     else now() + random() * interval '30 days' end as e) x`,
        [sizes.sessions, Math.max(sizes.users, 1), expired],
      );
    }
    if (sizes.events > 0) {
      await pool.query(
        `insert into security_events (user_id, kind, method, ip, user_agent, created_at)
         select 1 + i % $2::int, 'sign_in', 'password', '198.51.100.7',
                'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Firefox/128.0',
                now() - random() * interval '100 days'
           from generate_series(1, $1::int) i`,
        [sizes.events, Math.max(sizes.users, 1)],
      );
    }
    if (sizes.rateLimits > 0) {
      await pool.query(
        `insert into rate_limits (key, points, expire)
         select 'login_ip:198.' || i, 1,
                (extract(epoch from now()) * 1000)::bigint
                  + case when random() < $2 then -1 else 1 end * (random() * 900000)::bigint
           from generate_series(1, $1::int) i`,
        [sizes.rateLimits, expired],
      );
    }
    if (sizes.tokens > 0) {
      await pool.query(
        `insert into user_tokens (token_hash, user_id, purpose, expires_at)
         select md5('k' || i) || md5('l' || i), 1 + i % $2::int, 'verify',
                now() + case when random() < $3 then -1 else 1 end * random() * interval '1 day'
           from generate_series(1, $1::int) i`,
        [sizes.tokens, Math.max(sizes.users, 1), expired],
      );
    }
    await pool.query(
      `insert into users (email, password_hash, email_verified_at)
       select 'bench' || i || '@example.com', $2, now() from generate_series(0, $1::int) i`,
      [BENCH_USERS, passwordHash],
    );
    await pool.query("vacuum analyze");
  } finally {
    await pool.end();
  }
  return (performance.now() - started) / 1000;
}

/** Gives the user with `email` 999 more sessions (her own, via a login, makes 1,000). */
async function addSessions(url: string, email: string, count: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(
      `insert into session (sid, sess, expire)
       select md5('m' || i) || md5('n' || i),
              json_build_object(
                'cookie', json_build_object('originalMaxAge', 2592000000, 'httpOnly', true,
                  'path', '/', 'secure', true, 'sameSite', 'lax'),
                'passport', json_build_object('user', u.id::text), 'generation', 0,
                'client', json_build_object('userAgent', 'Firefox ' || i || ' on Linux',
                  'ip', '203.0.113.' || (i % 250),
                  'loggedInAt', (extract(epoch from now()) * 1000)::bigint - i::bigint * 60000)),
              now() + interval '30 days' - i * interval '1 minute'
         from generate_series(1, $2::int) i, users u where u.email = $1`,
      [email, count],
    );
  } finally {
    await pool.end();
  }
}

// ---- the app -----------------------------------------------------------------------------------

interface TaskLine {
  task: string;
  rows: number;
  ms: number;
  /** When it ended (the log line's time), ms since the epoch. */
  at: number;
}

interface AppChild {
  url: string;
  pid: number;
  tasks: TaskLine[];
  /** The heap (MB) after each full GC, used then committed, from --trace-gc when asked for. */
  heapAfterGc: number[];
  problems: string[];
  rssMb(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** The built app as production runs it: `node dist/app/server.js`, behind a "proxy" (loopback). */
async function startApp(url: string, smtpPort: number): Promise<AppChild> {
  const port = await freePort();
  // SCALE_APP_NODE_ARGS, e.g. --trace-gc: its full GCs' heap sizes are summed up after the soak.
  const nodeArgs = (process.env.SCALE_APP_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, join(root, "dist/app/server.js")],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? root,
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(port),
        APP_URL: `https://127.0.0.1:${port}`,
        TRUST_PROXY: "loopback",
        DATABASE_URL: url,
        SESSION_SECRET: SECRET,
        DATA_ENCRYPTION_KEY: ENCRYPTION_KEY,
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const tasks: TaskLine[] = [];
  const heapAfterGc: number[] = [];
  const problems: string[] = [];
  let partial = "";
  let listening: (() => void) | undefined;
  child.stdout?.on("data", (chunk: Buffer) => {
    const all = (partial + chunk.toString()).split("\n");
    partial = all.pop() ?? "";
    for (const line of all) {
      // Thousands of request lines a second: parse only the few this bench reads.
      if (line.includes('"task":')) {
        const entry = JSON.parse(line) as { task: string; rows: number; ms: number; time: number };
        tasks.push({ task: entry.task, rows: entry.rows, ms: entry.ms, at: entry.time });
      } else if (line.includes("Mark-Compact")) {
        // "Mark-Compact 80.1 (95.2) -> 51.3 (90.4) MB": used (committed) before -> after.
        const after = /-> ([\d.]+) \(([\d.]+)\)/.exec(line);
        if (after) heapAfterGc.push(Number(after[1]), Number(after[2]));
      } else if (line.includes('"msg":"listening on')) {
        listening?.();
      } else if (/"level":(40|50|60)/.test(line) && problems.length < 5) {
        problems.push(line.slice(0, 400));
      }
    }
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${stderr}`)), 60_000);
    listening = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once("exit", (code) => reject(new Error(`the app exited (${code}):\n${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    tasks,
    heapAfterGc,
    problems,
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Logs in as a person does (the form, its CSRF cookie and field); returns the Cookie header. */
let logins = 0;
async function logIn(base: string, email: string): Promise<string> {
  // Each login from an address of its own (through the trusted "proxy"), as people's are: the
  // limit per address (20 per 15 minutes) is not what this bench measures.
  logins++;
  const proxied = {
    "x-forwarded-proto": "https",
    "x-forwarded-for": `198.51.100.${logins % 250}`,
  };
  const form = await fetch(`${base}/login`, { headers: proxied });
  const csrfCookie = form.headers.getSetCookie().map((c) => c.split(";")[0]);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
  const reply = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      ...proxied,
      "content-type": "application/x-www-form-urlencoded",
      cookie: csrfCookie.join("; "),
    },
    body: new URLSearchParams({ _csrf: token, email, password: PASSWORD }).toString(),
  });
  const sid = reply.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] as string)
    .find((c) => c.startsWith("__Host-sid="));
  if (reply.status !== 303 || !sid) throw new Error(`login as ${email}: ${reply.status}`);
  return sid;
}

// ---- load --------------------------------------------------------------------------------------

interface Load {
  rps: number;
  p99: number;
  bytes: number;
  non2xx: number;
  errors: number;
  /** [time it answered (ms since epoch), latency ms] of each response. */
  samples: Array<[number, number]>;
}

/** autocannon on `path`, connection i sending cookies[i]; for `seconds`, or until `until` settles. */
function load(
  base: string,
  path: string,
  cookies: string[],
  options: { seconds: number; until?: Promise<unknown> },
): Promise<Load> {
  let next = 0;
  const samples: Array<[number, number]> = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: base + path,
        connections: settings.connections,
        duration: options.seconds,
        timeout: 10,
        headers: { "x-forwarded-proto": "https", accept: "text/html" },
        setupClient(client) {
          const cookie = cookies[next++ % cookies.length] as string;
          client.setHeaders({ "x-forwarded-proto": "https", accept: "text/html", cookie });
          client.on("response", (_status, _bytes, ms) => samples.push([Date.now(), ms]));
        },
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          rps: result.requests.total / (result.duration || options.seconds),
          p99: round(
            percentile(
              samples.map(([, ms]) => ms),
              99,
            ),
          ),
          bytes: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          samples,
        });
      },
    );
    options.until?.finally(() => instance.stop());
  });
}

// ---- phases ------------------------------------------------------------------------------------

interface Prepared {
  app: AppChild;
  /** One session per bench user, one per connection. */
  cookies: string[];
  /** The session of the user with 1,000. */
  manyCookie: string;
  seedSeconds: number;
  cleanup: Array<{ task: string; rows: number; ms: number; p99: number; p99Without: number }>;
}

/**
 * A database seeded and its app started (left running), its first maintenance run (5-30 s after
 * start) measured under home-page load, then vacuumed for the pages.
 */
async function prepare(
  name: string,
  url: string,
  sizes: Sizes,
  passwordHash: string,
  smtpPort: number,
) {
  await admin(`drop database if exists ${new URL(url).pathname.slice(1)}`);
  await admin(`create database ${new URL(url).pathname.slice(1)}`);
  await migrate({
    databaseUrl: url,
    direction: "up",
    log: { info() {}, warn: console.warn, error: console.error },
  });
  say(`\n## ${name}: seeding ${JSON.stringify(sizes)}`);
  const seedSeconds = await seed(url, sizes, passwordHash);
  say(`seeded in ${round(seedSeconds)} s`);

  const app = await startApp(url, smtpPort);
  const started = Date.now();
  try {
    const cookies: string[] = [];
    for (let i = 1; i <= BENCH_USERS; i++)
      cookies.push(await logIn(app.url, `bench${i}@example.com`));
    const manyCookie = await logIn(app.url, "bench0@example.com");
    await addSessions(url, "bench0@example.com", MANY - 1);

    console.log(`[scale] ${name}: the app's first maintenance run, home page under load`);
    // The app's own runner starts 5-30 s after start; home under load until every task logged.
    const tasks = ["sessions", "rate limits", "tokens", "activity"];
    const allLogged = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const done = tasks.every((task) => app.tasks.some((line) => line.task === task));
        if (done || Date.now() - started > 10 * 60_000) {
          clearInterval(timer);
          setTimeout(resolve, 3_000);
        }
      }, 200);
    });
    const during = await load(app.url, "/", cookies, { seconds: 900, until: allLogged });
    const windows = app.tasks.map((line) => ({ ...line, from: line.at - line.ms }));
    const inside = (at: number, w: { from: number; at: number }) => at >= w.from && at <= w.at;
    const without = during.samples.filter(([at]) => !windows.some((w) => inside(at, w)));
    const p99Without = round(
      percentile(
        without.map(([, ms]) => ms),
        99,
      ),
    );
    const cleanup = windows.map((w) => ({
      task: w.task,
      rows: w.rows,
      ms: w.ms,
      p99: round(
        percentile(
          during.samples.filter(([at]) => inside(at, w)).map(([, ms]) => ms),
          99,
        ),
      ),
      p99Without,
    }));

    // Steady state for the pages, on both databases alike: what autovacuum would get to after
    // the first cleanup, done now rather than during a measured load.
    console.log(`[scale] ${name}: cleanup measured; vacuum, checkpoint, then the pages`);
    await admin(`checkpoint`);
    const vacuum = new pg.Client(url);
    await vacuum.connect();
    await vacuum.query("vacuum analyze").finally(() => vacuum.end());
    await admin("checkpoint");
    if (app.problems.length > 0) say(`app warnings/errors: ${app.problems.join("\n")}`);
    return { app, cookies, manyCookie, seedSeconds, cleanup } satisfies Prepared;
  } catch (error) {
    await app.stop();
    throw error;
  }
}

/**
 * Two apps' loads on one page, taking turns: slices of SLICE_SECONDS in the order A B, B A, A B,
 * ... until each had `seconds`, so that whatever else the machine does lands on both alike.
 */
const SLICE_SECONDS = 3;
async function turns(
  a: { url: string; cookies: string[] },
  b: { url: string; cookies: string[] },
  path: string,
  seconds: number,
): Promise<[Load, Load]> {
  await load(a.url, path, a.cookies, { seconds: 2 }); // warm-up
  await load(b.url, path, b.cookies, { seconds: 2 });
  const slices: [Load[], Load[]] = [[], []];
  const rounds = Math.max(1, Math.round(seconds / SLICE_SECONDS));
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const);
    for (const which of order) {
      const side = which === 0 ? a : b;
      slices[which].push(await load(side.url, path, side.cookies, { seconds: SLICE_SECONDS }));
    }
  }
  const merge = (parts: Load[]): Load => {
    const samples = parts.flatMap((part) => part.samples);
    return {
      rps: parts.reduce((sum, part) => sum + part.rps, 0) / parts.length,
      p99: round(
        percentile(
          samples.map(([, ms]) => ms),
          99,
        ),
      ),
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0) / parts.length,
      non2xx: parts.reduce((sum, part) => sum + part.non2xx, 0),
      errors: parts.reduce((sum, part) => sum + part.errors, 0),
      samples,
    };
  };
  return [merge(slices[0]), merge(slices[1])];
}

/** Statements per page, counted on the big database through an in-process app's Pool. */
async function statementsPerPage(url: string): Promise<Record<string, number>> {
  const { config } = loadConfig({
    env: {
      NODE_ENV: "production",
      DATABASE_URL: url,
      SESSION_SECRET: SECRET,
      DATA_ENCRYPTION_KEY: ENCRYPTION_KEY,
      SMTP_URL: "smtp://127.0.0.1:1",
      APP_URL: "https://127.0.0.1",
      TRUST_PROXY: "loopback",
      LOG_LEVEL: "silent",
    },
  });
  const logger = createLogger({ level: "silent" });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let count = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    count++;
    return query(...args);
  }) as typeof pool.query;
  const store = createSessionStore(pool, config, logger);
  const server: Server = createServer(createApp({ config, pool, logger, sessionStore: store }));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cookie = await logIn(base, "bench1@example.com");
    const result: Record<string, number> = {};
    for (const path of ["/", "/account", "/account/security"]) {
      const get = () =>
        fetch(base + path, { headers: { cookie, "x-forwarded-proto": "https" } }).then((r) =>
          r.text(),
        );
      await get();
      const before = count;
      for (let i = 0; i < 20; i++) await get();
      result[path] = (count - before) / 20;
    }
    return result;
  } finally {
    server.close();
    await store.close();
    await pool.end();
  }
}

/** The app on the big database at a fixed rate; its RSS every 10 s. */
async function soak(url: string, smtpPort: number) {
  const app = await startApp(url, smtpPort);
  try {
    const cookies: string[] = [];
    for (let i = 1; i <= 4; i++) cookies.push(await logIn(app.url, `bench${i}@example.com`));
    const paths = ["/account", "/account/security", "/account", "/"];
    const samples: Array<[number, number]> = [[0, app.rssMb()]];
    const started = Date.now();
    const endAt = started + settings.soakMinutes * 60_000;
    let sent = 0;
    let failed = 0;
    const inFlight = new Set<Promise<void>>();
    const sampler = setInterval(
      () => samples.push([(Date.now() - started) / 1000, app.rssMb()]),
      10_000,
    );
    // A fixed rate: one request every 1000/rate ms, whatever the answers' times.
    while (Date.now() < endAt) {
      const i = sent++;
      const request = fetch(app.url + (paths[i % paths.length] as string), {
        headers: { cookie: cookies[i % cookies.length] as string, "x-forwarded-proto": "https" },
      })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.status !== 200) failed++;
        })
        .catch(() => {
          failed++;
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
      const due = started + (sent * 1000) / settings.soakRate;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    await Promise.all(inFlight);
    clearInterval(sampler);
    samples.push([(Date.now() - started) / 1000, app.rssMb()]);
    return { sent, failed, samples, heapAfterGc: [...app.heapAfterGc] };
  } finally {
    await app.stop();
  }
}

// ---- report ------------------------------------------------------------------------------------

function slopeMbPerMinute(samples: Array<[number, number]>): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((s, [x]) => s + x, 0) / n;
  const my = samples.reduce((s, [, y]) => s + y, 0) / n;
  const num = samples.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = samples.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

async function main() {
  say("# Scale bench");
  say(`settings: ${JSON.stringify(settings)}`);
  say("\n## Formatters: a time formatted FORMAT_CALLS times (200,000 by default)");
  say(formatterTable(measureFormatters()));

  say("\nbuilding (npm run build)...");
  const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => callback());
    },
  });
  smtp.listen(0, "127.0.0.1");
  await once(smtp.server, "listening");
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const passwordHash = await hashPassword(PASSWORD);

  const smallUrl = urlOf(`bench_scale_small_${process.pid}`);
  const bigUrl = urlOf(`bench_scale_big_${process.pid}`);
  const databases = [smallUrl, bigUrl];
  const apps: AppChild[] = [];
  try {
    const s = await prepare("small", smallUrl, SMALL, passwordHash, smtpPort);
    apps.push(s.app);
    const b = await prepare("big", bigUrl, BIG, passwordHash, smtpPort);
    apps.push(b.app);

    console.log("[scale] pages, small and big taking turns");
    const seconds = settings.loadSeconds;
    const small = { url: s.app.url, cookies: s.cookies };
    const big = { url: b.app.url, cookies: b.cookies };
    const home = await turns(small, big, "/", seconds);
    const account = await turns(small, big, "/account", seconds);
    say(
      `\n## Pages: ${settings.connections} connections, ${seconds} s each, small and big taking turns`,
    );
    say(
      "| page | small req/s | big req/s | big/small | small p99 ms | big p99 ms | verdict (≥ 0.9) |",
    );
    say(
      "| ---- | ----------: | --------: | --------: | -----------: | ---------: | --------------- |",
    );
    for (const [page, [a, c]] of [
      ["/", home],
      ["/account", account],
    ] as const) {
      const ratio = c.rps / a.rps;
      say(
        `| ${page} | ${round(a.rps)} | ${round(c.rps)} | ${round(ratio, 2)} | ${a.p99} | ${c.p99} | ${verdict(ratio >= 0.9)} |`,
      );
    }

    console.log("[scale] /account with 1,000 sessions and with one, taking turns");
    const [one, many] = await turns(
      { url: b.app.url, cookies: [b.cookies[0] as string] },
      { url: b.app.url, cookies: [b.manyCookie] },
      "/account",
      seconds,
    );
    say("\n## /account: a user with 1,000 sessions against one with one (big database)");
    say("| sessions | bytes | req/s | p99 ms |");
    say("| -------: | ----: | ----: | -----: |");
    say(`| 1 | ${Math.round(one.bytes)} | ${round(one.rps)} | ${one.p99} |`);
    say(`| ${MANY} | ${Math.round(many.bytes)} | ${round(many.rps)} | ${many.p99} |`);
    say(
      `under 100 KB: ${verdict(many.bytes < 100_000)}; within 2x of one session (req/s ${round(one.rps / many.rps, 2)}x, p99 ${round(many.p99 / one.p99, 2)}x): ${verdict(one.rps / many.rps <= 2 && many.p99 / one.p99 <= 2)}`,
    );
    for (const app of apps.splice(0)) await app.stop();

    say("\n## Cleanup: the app's first maintenance run, home page under load");
    say(
      "| database | task | rows | time ms | home p99 during | without | ratio | verdict (≤ 1.2) |",
    );
    say(
      "| -------- | ---- | ---: | ------: | --------------: | ------: | ----: | --------------- |",
    );
    for (const [name, m] of [
      ["small", s],
      ["big", b],
    ] as const) {
      for (const c of m.cleanup) {
        const ratio = c.p99 / c.p99Without;
        const judged = Number.isFinite(ratio) ? verdict(ratio <= 1.2) : "n/a (no request in it)";
        say(
          `| ${name} | ${c.task} | ${c.rows} | ${c.ms} | ${Number.isFinite(c.p99) ? c.p99 : "-"} | ${c.p99Without} | ${Number.isFinite(ratio) ? round(ratio, 2) : "-"} | ${judged} |`,
        );
      }
    }

    say("\n## Statements per page (big database)");
    const statements = await statementsPerPage(bigUrl);
    for (const [page, n] of Object.entries(statements)) {
      const target = page === "/" ? 2 : page === "/account" ? 4 : undefined;
      say(`- ${page}: ${n}${target ? ` (target ≤ ${target}: ${verdict(n <= target)})` : ""}`);
    }

    if (settings.soakMinutes > 0) {
      console.log("[scale] soak");
      say(`\n## Soak: ${settings.soakMinutes} min at ${settings.soakRate} req/s (big database)`);
      const result = await soak(bigUrl, smtpPort);
      const last = result.samples.at(-1)?.[1] ?? Number.NaN;
      const total = settings.soakMinutes * 60;
      const slope = slopeMbPerMinute(result.samples.filter(([t]) => t >= total / 2));
      // RSS saws up and down with each GC: "growing" compares means, the last fifth of the run
      // against the fifth around its middle.
      const mean = (from: number, to: number) => {
        const picked = result.samples.filter(([t]) => t >= from && t <= to).map(([, mb]) => mb);
        return picked.reduce((a, b) => a + b, 0) / picked.length;
      };
      const middle = mean(total * 0.4, total * 0.6);
      const end = mean(total * 0.8, total + 60);
      const growth = end / middle - 1;
      say(`requests: ${result.sent}, failed: ${result.failed}`);
      if (result.heapAfterGc.length > 0) {
        const pairs: string[] = [];
        for (let i = 0; i < result.heapAfterGc.length; i += 2) {
          pairs.push(`${result.heapAfterGc[i]}/${result.heapAfterGc[i + 1]}`);
        }
        say(`V8 heap after each full GC (--trace-gc), used/committed MB: ${pairs.join(" ")}`);
      }
      say(`RSS (MB) every 10 s: ${result.samples.map(([, mb]) => Math.round(mb)).join(" ")}`);
      say(
        `RSS at the end: ${round(last)} MB, mean of the last fifth ${round(end)} MB (target < 250: ${verdict(end < 250)})`,
      );
      say(
        `second half: mean of the last fifth against the middle fifth ${round(growth * 100)} % (target ≤ 5 %: ${verdict(growth <= 0.05)}); least-squares slope ${round(slope, 2)} MB/min`,
      );
    }
    say(`\nseeding the big database took ${round(b.seedSeconds)} s`);
  } finally {
    for (const app of apps) await app.stop();
    smtp.close();
    if (!settings.keep) {
      for (const url of databases) {
        await admin(`drop database if exists ${new URL(url).pathname.slice(1)} with (force)`);
      }
    }
    mkdirSync(join(benchDir, "results"), { recursive: true });
    writeFileSync(join(benchDir, "results", "scale-latest.md"), `${lines.join("\n")}\n`);
  }
}

await main();
