/**
 * The app under test, run as a child of bench/session.ts (pinned to one core there), compiled to
 * JavaScript first by bench/build.ts. One Express 5 app, configured by argv:
 *
 *   --impl=ours|express-session|bare|ceiling|floor  --store=memory|pg  --rolling  --touch-after=<ms>
 *
 * ceiling (with --store=pg): no session middleware; GET /read runs the one SELECT a store's get
 * makes (connect-pg-simple's, on the same Pool) for a fixed session ID: the limit for a session
 * read from Postgres in one round trip.
 *
 * floor (with --store=pg): the ceiling plus only what any express-session drop-in must do on a
 * rolling read (see floorMiddleware), for the same fixed row: where the ceiling's gap is not
 * the middleware's own code.
 *
 * Measured routes: GET /none (never looks at req.session), GET /read (reads it), GET /write
 * (changes it). Bench-only routes, mounted before the session middleware so they cost no session
 * work and are not counted: GET /__stats, POST /__reset, POST /__age. GET /__seed runs behind
 * the session middleware (it creates the session) but is not counted either.
 *
 * Reports `{ type: "ready", port }` to the parent over IPC once listening.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import connectPgSimple from "connect-pg-simple";
import { sign as signCookie } from "cookie-signature";
import express, { type Request, type RequestHandler } from "express";
import expressSession from "express-session";
import pg from "pg";
import ours, { type Store as OurStore } from "../app/session/index.js";
import {
  BENCH_TABLE,
  DEFAULT_DATABASE_URL,
  GET_SQL,
  type Impl,
  SESSION_SECRET,
  type ServerStats,
  type StoreKind,
} from "./protocol.js";

const { values } = parseArgs({
  options: {
    impl: { type: "string" },
    store: { type: "string", default: "memory" },
    rolling: { type: "boolean", default: false },
    "touch-after": { type: "string" },
  },
});

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  name: string,
): T {
  if (allowed.includes(value as T)) return value as T;
  throw new Error(`--${name} must be one of ${allowed.join(", ")} (got ${String(value)})`);
}

const impl: Impl = oneOf(
  values.impl,
  ["ours", "express-session", "bare", "ceiling", "floor"],
  "impl",
);
const storeKind: StoreKind = oneOf(values.store, ["memory", "pg"], "store");
const rolling = values.rolling;
const touchAfter = values["touch-after"] === undefined ? undefined : Number(values["touch-after"]);
if (touchAfter !== undefined && (!Number.isFinite(touchAfter) || impl !== "ours")) {
  throw new Error("--touch-after needs a number of ms and --impl=ours");
}

/** The slice of a session this app reads and writes, whichever middleware made it. */
interface BenchSession {
  user?: string;
  hits?: number;
}
function sessionOf(req: Request): BenchSession | undefined {
  return (req as unknown as { session?: BenchSession }).session;
}

// ---- store: query counting around the pg Pool ------------------------------------------------

let queries = 0;
let requests = 0;
let pool: pg.Pool | undefined;
/** Runs SQL on the pool without counting it (bench housekeeping). */
let uncountedQuery: ((sql: string, params?: unknown[]) => Promise<unknown>) | undefined;

function countingPool(): pg.Pool {
  const created = new pg.Pool({
    connectionString: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    max: Number(process.env.BENCH_PG_POOL ?? 10),
    application_name: `bench-${impl}`,
  });
  created.on("error", (err) => console.error("[bench server] idle pg client error:", err.message));
  const original = created.query.bind(created) as (...args: unknown[]) => unknown;
  uncountedQuery = (sql, params) => Promise.resolve(original(sql, params));
  created.query = function countedQuery(...args: unknown[]) {
    queries++;
    return original(...args);
  } as unknown as typeof created.query;
  return created;
}

/** A store for the middleware `impl`, and the bench's housekeeping on it. */
interface StoreSetup {
  store: unknown;
  reset(): Promise<void>;
  /** Resolves once the store can take requests (pg: the table exists). */
  ready(): Promise<void>;
  /**
   * Makes the sessions `sids` look as if they were last written `seconds` ago: their stored
   * cookie.expires moves back (the row's own `expire` column is left alone). pg only.
   */
  age?(seconds: number, sids: string[]): Promise<void>;
}

function memoryStore(): StoreSetup {
  const store = impl === "ours" ? new ours.MemoryStore() : new expressSession.MemoryStore();
  return {
    store,
    reset: () => new Promise<void>((resolve) => store.clear(() => resolve())),
    ready: async () => {},
  };
}

function pgStore(): StoreSetup {
  pool = countingPool();
  // connect-pg-simple only needs `session.Store` from what it is given; ours carries one.
  const factory = impl === "ours" ? (ours as unknown as typeof expressSession) : expressSession;
  const PgStore = connectPgSimple(factory);
  const store = new PgStore({
    pool,
    tableName: BENCH_TABLE,
    createTableIfMissing: true,
    pruneSessionInterval: false,
  });
  return {
    store,
    reset: async () => {
      await uncountedQuery?.(`TRUNCATE ${BENCH_TABLE}`);
    },
    age: async (seconds, sids) => {
      await uncountedQuery?.(
        `UPDATE ${BENCH_TABLE} SET sess = jsonb_set(sess::jsonb, '{cookie,expires}', to_jsonb(
           to_char(((sess->'cookie'->>'expires')::timestamptz - make_interval(secs => $1))
             AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::json
         WHERE sid = ANY($2)`,
        [seconds, sids],
      );
    },
    // Any store call first makes sure the table exists (createTableIfMissing).
    ready: () =>
      new Promise<void>((resolve, reject) =>
        store.get("bench-warmup-probe", (err) => (err ? reject(err) : resolve())),
      ),
  };
}

const SESSION_OPTIONS = {
  secret: SESSION_SECRET,
  resave: false,
  saveUninitialized: false,
  rolling,
  cookie: { maxAge: 30 * 60 * 1000 },
} as const;

function sessionMiddleware(setup: StoreSetup): RequestHandler {
  if (impl === "ours") {
    return ours({
      ...SESSION_OPTIONS,
      store: setup.store as OurStore,
      ...(touchAfter !== undefined ? { touchAfter } : {}),
    });
  }
  return expressSession({ ...SESSION_OPTIONS, store: setup.store as expressSession.Store });
}

// ---- app -------------------------------------------------------------------------------------

const setup = impl === "bare" ? undefined : storeKind === "pg" ? pgStore() : memoryStore();
const fixedRow = impl === "ceiling" || impl === "floor";
if (fixedRow && storeKind !== "pg") throw new Error(`--impl=${impl} needs --store=pg`);
const app = express();
app.disable("x-powered-by");

app.get("/__stats", (_req, res) => {
  const cpu = process.cpuUsage();
  const stats: ServerStats = { queries, requests, cpuMicros: cpu.user + cpu.system };
  res.json(stats);
});
/** IDs of the sessions /__seed made since the last reset (the table is shared with other servers). */
let seeded: string[] = [];

app.post("/__reset", async (_req, res) => {
  seeded = [];
  await setup?.reset();
  res.json({ ok: true });
});
app.post("/__age", async (req, res) => {
  const seconds = Number(req.query.seconds);
  if (!setup?.age || !Number.isFinite(seconds)) {
    res.status(400).json({ error: "aging needs --store=pg and ?seconds=<number>" });
    return;
  }
  await setup.age(seconds, seeded);
  res.json({ ok: true });
});

const BARE_USER = randomUUID();
/** The ceiling's (and floor's) one session row, written by /__seed as connect-pg-simple does. */
const CEILING_SID = randomUUID();

/** The floor's Set-Cookie up to its expiry: a signed ID, computed once, as a drop-in sends it. */
const FLOOR_COOKIE_PREFIX = `connect.sid=${encodeURIComponent(`s:${signCookie(CEILING_SID, SESSION_SECRET)}`)}; Path=/; Expires=`;

let floorSecond = Number.NaN;
let floorCookie = "";
/** The floor's Set-Cookie: the expiry's text changes once a second, so it is made once a second. */
function floorSetCookie(): string {
  const expires = Date.now() + SESSION_OPTIONS.cookie.maxAge;
  const second = Math.floor(expires / 1000);
  if (second !== floorSecond) {
    floorSecond = second;
    floorCookie = `${FLOOR_COOKIE_PREFIX}${new Date(expires).toUTCString()}; HttpOnly`;
  }
  return floorCookie;
}

/**
 * What any express-session drop-in has to do on a rolling read, and nothing else: the three
 * request properties of the API (req.sessionStore, req.sessionID, req.session; after Express has
 * set req's prototype, each one added costs a copy of the object's hidden class), a writeHead and
 * an end hook on the response, the store's own get (connect-pg-simple's wrapper around the
 * SELECT), and a Set-Cookie with a fresh expiry. Not included (so the floor is a lower bound):
 * reading and verifying the request's cookie, a Session and Cookie for the data, the "modified?"
 * check, the touch decision.
 */
function floorMiddleware(store: expressSession.Store): RequestHandler {
  return (req, res, next) => {
    const carrier = req as unknown as {
      sessionStore: unknown;
      sessionID: string;
      session: unknown;
    };
    carrier.sessionStore = store;
    carrier.sessionID = CEILING_SID;
    const writeHead = res.writeHead;
    res.writeHead = function floorWriteHead(this: typeof res, ...args: unknown[]) {
      return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.writeHead;
    const end = res.end;
    res.end = function floorEnd(this: typeof res, ...args: unknown[]) {
      this.setHeader("Set-Cookie", [floorSetCookie()]);
      return (end as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.end;
    store.get(CEILING_SID, (err, stored) => {
      if (err) return next(err);
      carrier.session = stored;
      next();
    });
  };
}

if (setup && impl === "floor") app.use(floorMiddleware(setup.store as expressSession.Store));
else if (setup && impl !== "ceiling") app.use(sessionMiddleware(setup));

app.get("/__seed", async (req, res) => {
  if (fixedRow) {
    const expires = new Date(Date.now() + SESSION_OPTIONS.cookie.maxAge);
    const sess = {
      cookie: { originalMaxAge: SESSION_OPTIONS.cookie.maxAge, expires, httpOnly: true, path: "/" },
      user: randomUUID(),
      hits: 0,
    };
    await uncountedQuery?.(
      `INSERT INTO ${BENCH_TABLE} (sid, sess, expire) VALUES ($1, $2, $3)
       ON CONFLICT (sid) DO UPDATE SET sess = $2, expire = $3`,
      [CEILING_SID, sess, expires],
    );
    res.send("seeded");
    return;
  }
  const session = sessionOf(req);
  if (session) {
    session.user = randomUUID();
    session.hits = 0;
    seeded.push((req as unknown as { sessionID: string }).sessionID);
  }
  res.send("seeded");
});
app.get("/none", (_req, res) => {
  requests++;
  res.send("ok");
});
app.get("/read", (req, res, next) => {
  requests++;
  if (impl === "ceiling") {
    (pool as pg.Pool)
      .query<{ sess: BenchSession }>(GET_SQL, [CEILING_SID, Math.ceil(Date.now() / 1000)])
      .then((result) => res.send(result.rows[0]?.sess.user ?? "anonymous"), next);
    return;
  }
  res.send(setup ? (sessionOf(req)?.user ?? "anonymous") : BARE_USER);
});
app.get("/write", (req, res) => {
  requests++;
  const session = sessionOf(req);
  if (session) session.hits = (session.hits ?? 0) + 1;
  res.send(String(session?.hits ?? 0));
});

// ---- lifecycle -------------------------------------------------------------------------------

let server: Server | undefined;

function shutdown(code: number): void {
  server?.close();
  server?.closeAllConnections();
  // Exiting (rather than dying of the signal) lets --cpu-prof write its profile.
  void (pool?.end() ?? Promise.resolve()).finally(() => process.exit(code));
  setTimeout(() => process.exit(code), 2000).unref();
}
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));
// The orchestrator went away: do not outlive it.
process.on("disconnect", () => shutdown(0));

async function main(): Promise<void> {
  await setup?.ready();
  const listening = app.listen(0, "127.0.0.1", () => {
    const { port } = listening.address() as AddressInfo;
    process.send?.({ type: "ready", port });
  });
  server = listening;
}

main().catch((err: unknown) => {
  console.error("[bench server] failed to start:", err);
  process.exit(1);
});
