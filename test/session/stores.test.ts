import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { testDatabaseUrl } from "../helpers/database.js";
import { aboutMs, type RouteSnapshot, startHarness } from "../helpers/session-harness.js";
import {
  type Impl,
  implementations,
  reference,
  type SessionModule,
  type StoreLike,
} from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";

// Third-party stores are written against express-session: `require("x")(session)` reads
// `session.Store` and extends it. Built from our module instead, they must work unchanged. The
// same story runs for each store, under both middlewares.

const require = createRequire(import.meta.url);
type StoreClass<O> = new (options: O) => StoreLike;
const connectPgSimple = require("connect-pg-simple") as (session: SessionModule) => StoreClass<{
  pool: pg.Pool;
  tableName: string;
  createTableIfMissing: boolean;
  pruneSessionInterval: false;
  errorLog?: (...args: unknown[]) => void;
}>;
const createMemoryStore = require("memorystore") as (
  session: SessionModule,
) => StoreClass<{ checkPeriod?: number }>;
const createFileStore = require("session-file-store") as (
  session: SessionModule,
) => StoreClass<{ path: string; retries: number; logFn: () => void; reapInterval: number }>;

const TABLE = "session_store_compat";
const MINUTE = 60_000;

let pool: pg.Pool;
const tempDirs: string[] = [];

beforeAll(() => {
  pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1 });
});

afterAll(async () => {
  await pool.query(`drop table if exists ${TABLE}`);
  await pool.end();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

interface StoreUnderTest {
  store: StoreLike;
  /** When the store itself will drop the session (ms since epoch). */
  expiryOf(sid: string): Promise<number | null>;
  close(): void;
}

async function cookieExpiry(store: StoreLike, sid: string): Promise<number | null> {
  const stored = await new Promise<Record<string, unknown> | null>((resolve, reject) =>
    store.get(sid, (err, s) => (err ? reject(err) : resolve(s ?? null))),
  );
  const expires = (stored?.cookie as { expires?: string } | undefined)?.expires;
  return expires ? new Date(expires).getTime() : null;
}

const stores: Array<[string, (impl: Impl) => StoreUnderTest]> = [
  [
    "its own MemoryStore",
    (impl) => {
      const store = new impl.session.MemoryStore();
      return { store, expiryOf: (sid) => cookieExpiry(store, sid), close: () => {} };
    },
  ],
  [
    "the other implementation's MemoryStore",
    (impl) => {
      const other = implementations.find(([n]) => n !== impl.name)?.[1] ?? reference;
      const store = new other.session.MemoryStore();
      return { store, expiryOf: (sid) => cookieExpiry(store, sid), close: () => {} };
    },
  ],
  [
    "connect-pg-simple (real Postgres)",
    (impl) => {
      const PGStore = connectPgSimple(impl.session);
      const store = new PGStore({
        pool,
        tableName: TABLE,
        createTableIfMissing: true,
        pruneSessionInterval: false,
      });
      return {
        store,
        expiryOf: async (sid) => {
          const { rows } = await pool.query<{ ms: string }>(
            `select (extract(epoch from expire) * 1000)::bigint as ms from ${TABLE} where sid = $1`,
            [sid],
          );
          return rows[0] ? Number(rows[0].ms) : null;
        },
        close: () => {},
      };
    },
  ],
  [
    "memorystore",
    (impl) => {
      const MemoryStore = createMemoryStore(impl.session);
      const store = new MemoryStore({ checkPeriod: MINUTE });
      return {
        store,
        expiryOf: (sid) => cookieExpiry(store, sid),
        close: () => (store as unknown as { stopInterval(): void }).stopInterval(),
      };
    },
  ],
  [
    "session-file-store",
    (impl) => {
      const FileStore = createFileStore(impl.session);
      const path = mkdtempSync(join(tmpdir(), "session-file-store-"));
      tempDirs.push(path);
      const store = new FileStore({ path, retries: 0, logFn: () => {}, reapInterval: -1 });
      return { store, expiryOf: (sid) => cookieExpiry(store, sid), close: () => {} };
    },
  ],
];

describe.each(implementations)("%s", (_name, impl) => {
  describe.each(stores)("with %s", (storeName, makeStore) => {
    const closers: Array<() => void> = [];
    afterAll(() => {
      for (const close of closers) close();
    });

    async function setup(options: { rolling?: boolean } = {}) {
      const under = makeStore(impl);
      closers.push(under.close);
      const rec = recordStore(under.store);
      const h = await startHarness({
        impl,
        options: { store: rec.store, rolling: options.rolling, cookie: { maxAge: MINUTE } },
      });
      const browser = h.browser();
      return { under, rec, h, browser };
    }

    test("the store is an instance of session.Store (built from this module)", () => {
      const under = makeStore(impl);
      closers.push(under.close);
      if (storeName.startsWith("the other")) return;
      expect(under.store).toBeInstanceOf(impl.session.Store);
    });

    test("a new session is saved, then read back by the next request", async () => {
      const { rec, browser } = await setup();
      const first = await browser.get("/write");
      expect(first.status).toBe(200);
      const sid = String(browser.sid);
      const stored = await rec.peek(sid);
      expect(stored).toMatchObject({
        views: 1,
        cookie: { originalMaxAge: aboutMs(MINUTE), httpOnly: true, path: "/" },
      });
      rec.reset();
      const second = await browser.get("/read");
      expect(second.json()).toMatchObject({ sessionID: sid, views: 1 });
      expect(rec.methods()).toEqual(["get", "touch"]);
    });

    test("a change is written back", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      rec.reset();
      expect((await browser.get("/write")).json().views).toBe(2);
      expect(rec.methods()).toEqual(["get", "set"]);
      expect((await rec.peek(String(browser.sid)))?.views).toBe(2);
    });

    test("regenerate: the old session leaves the store, the new one is in it", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      const oldId = String(browser.sid);
      const res = await browser.get("/regenerate?write=1");
      const body = res.json<RouteSnapshot & { oldId: string }>();
      expect(body.sessionID).not.toBe(oldId);
      expect(browser.sid).toBe(body.sessionID);
      expect(await rec.peek(oldId)).toBeNull();
      expect((await rec.peek(String(body.sessionID)))?.views).toBe(1);
    });

    test("destroy: gone from the store; the old cookie starts a fresh session", async () => {
      const { rec, h, browser } = await setup();
      await browser.get("/write");
      const sid = String(browser.sid);
      const cookie = browser.cookie;
      expect((await browser.get("/destroy")).json().hasSession).toBe(false);
      expect(await rec.peek(sid)).toBeNull();
      const after = (await h.get("/read", { cookie })).json();
      expect(after.views).toBeNull();
      expect(after.sessionID).not.toBe(sid);
    });

    test("rolling: an unchanged session is touched, its cookie re-sent, its expiry pushed", async () => {
      const { under, rec, browser } = await setup({ rolling: true });
      await browser.get("/write");
      const sid = String(browser.sid);
      const before = await under.expiryOf(sid);
      expect(before).not.toBeNull();
      rec.reset();
      // The visitor asked to be remembered longer: only the cookie changes, so a touch carries it.
      const res = await browser.get(`/set-maxage?ms=${60 * MINUTE}`);
      expect(rec.methods()).toEqual(["get", "touch"]);
      const cookieExpires = res.sessionCookie()?.expires?.getTime() ?? 0;
      expect(Math.abs(cookieExpires - (Date.now() + 60 * MINUTE))).toBeLessThan(5_000);
      const after = await under.expiryOf(sid);
      expect(after).toBeGreaterThan((before ?? 0) + 30 * MINUTE);
      expect((await browser.get("/read")).json().views).toBe(1);
    });
  });
});

describe.each(implementations)(
  "%s with a store that keeps live objects (no JSON)",
  (_name, impl) => {
    // Some hand-written stores (tests, prototypes) keep what they are given as is: the Session
    // and its Cookie instance, with expires still a Date.
    function objectStore(): StoreLike {
      const sessions = new Map<string, object>();
      const Base = impl.session.Store as unknown as new () => StoreLike;
      const store = new Base();
      Object.assign(store, {
        get: (sid: string, cb: (err: unknown, s?: object | null) => void) =>
          setImmediate(() => cb(null, sessions.get(sid) ?? null)),
        set: (sid: string, s: object, cb?: () => void) => {
          sessions.set(sid, s);
          setImmediate(() => cb?.());
        },
        destroy: (sid: string, cb?: () => void) => {
          sessions.delete(sid);
          setImmediate(() => cb?.());
        },
      });
      return store;
    }

    test("sessions are saved, read back and changed", async () => {
      const h = await startHarness({
        impl,
        options: { store: objectStore(), rolling: true, cookie: { maxAge: MINUTE } },
      });
      const browser = h.browser();
      await browser.get("/write");
      const read = await browser.get("/read");
      expect(read.json()).toMatchObject({ views: 1, cookie: { originalMaxAge: aboutMs(MINUTE) } });
      expect(read.sessionCookie()?.expires).toBeDefined();
      expect((await browser.get("/write")).json().views).toBe(2);
      expect((await browser.get("/read")).json().views).toBe(2);
    });
  },
);

describe("one connect-pg-simple table shared by express-session and ours", () => {
  test.skipIf(implementations.length < 2)(
    "a session started under one middleware continues under the other",
    async () => {
      const [[, first], [, second]] = implementations as [[string, Impl], [string, Impl]];
      const storeOf = (impl: Impl) =>
        new (connectPgSimple(impl.session))({
          pool,
          tableName: TABLE,
          createTableIfMissing: true,
          pruneSessionInterval: false,
        });
      const a = await startHarness({ impl: first, options: { store: storeOf(first) } });
      const b = await startHarness({ impl: second, options: { store: storeOf(second) } });

      const one = await a.get("/write");
      const cookie = one.sessionCookie()?.pair;
      expect((await b.get("/write", { cookie })).json()).toMatchObject({ views: 2 });
      expect((await a.get("/write", { cookie })).json()).toMatchObject({ views: 3 });
      expect((await b.get("/read", { cookie })).json()).toMatchObject({
        sessionID: one.json().sessionID,
        views: 3,
      });
    },
  );
});
