import { EventEmitter } from "node:events";
import { describe, expect, test, vi } from "vitest";
import { type Browser, SECRET, startHarness } from "../helpers/session-harness.js";
import { implementations, ours, oursLoaded, type StoredSession } from "../helpers/session-impls.js";

// MemoryStore, used directly as code written for express-session uses it (tests, scripts,
// admin pages listing sessions): JSON copies, expiry on read, all/length/clear/touch.

const future = () => new Date(Date.now() + 60_000).toISOString();
const past = () => new Date(Date.now() - 1_000).toISOString();
const session = (expires: string | null, data: Record<string, unknown> = {}): StoredSession => ({
  cookie: { originalMaxAge: 60_000, expires, httpOnly: true, path: "/" },
  ...data,
});

describe.each(implementations)("%s: MemoryStore", (_name, impl) => {
  function make() {
    const store = new impl.session.MemoryStore();
    const call = <T>(fn: (cb: (err: unknown, value?: T) => void) => void) =>
      new Promise<T | undefined>((resolve, reject) =>
        fn((err, v) => (err ? reject(err) : resolve(v))),
      );
    return {
      store,
      get: (sid: string) => call<StoredSession | null>((cb) => store.get(sid, cb)),
      set: (sid: string, s: object) => call<void>((cb) => store.set(sid, s, cb)),
      destroy: (sid: string) => call<void>((cb) => store.destroy(sid, cb)),
      touch: (sid: string, s: object) => call<void>((cb) => store.touch?.(sid, s, cb)),
      all: () =>
        call<Record<string, StoredSession>>((cb) =>
          store.all(cb as (err: unknown, sessions?: unknown) => void),
        ),
      length: () => call<number>((cb) => store.length(cb)),
      clear: () => call<void>((cb) => store.clear(cb)),
    };
  }

  test("is an EventEmitter and a session.Store", () => {
    const { store } = make();
    expect(store).toBeInstanceOf(EventEmitter);
    expect(store).toBeInstanceOf(impl.session.Store);
  });

  test("set then get gives back a copy: later changes to either side do not leak", async () => {
    const s = make();
    const original = session(future(), { views: 1, nested: { a: 1 } });
    await s.set("a", original);
    (original.nested as { a: number }).a = 2;
    const got = await s.get("a");
    expect(got).toEqual(session(got?.cookie?.expires as string, { views: 1, nested: { a: 1 } }));
    (got as { views: number }).views = 99;
    expect((await s.get("a"))?.views).toBe(1);
  });

  test("an unknown ID gives no session and no error", async () => {
    expect(await make().get("nope")).toBeUndefined();
  });

  test("an expired session is not returned, and is dropped", async () => {
    const s = make();
    await s.set("old", session(past()));
    await s.set("live", session(future()));
    await s.set("forever", session(null));
    expect(await s.length()).toBe(2);
    expect(await s.get("old")).toBeUndefined();
    expect(Object.keys((await s.all()) ?? {}).sort()).toEqual(["forever", "live"]);
  });

  test("all() is an object keyed by session ID (not an array), length() counts it", async () => {
    const s = make();
    await s.set("a", session(future(), { n: 1 }));
    await s.set("b", session(future(), { n: 2 }));
    const all = await s.all();
    expect(Array.isArray(all)).toBe(false);
    expect(all?.a?.n).toBe(1);
    expect(all?.b?.n).toBe(2);
    expect(await s.length()).toBe(2);
  });

  test("destroy() and clear() remove; callbacks are optional", async () => {
    const s = make();
    await s.set("a", session(future()));
    await s.set("b", session(future()));
    s.store.destroy("a");
    s.store.set("c", session(future()));
    await s.destroy("b");
    expect(Object.keys((await s.all()) ?? {})).toEqual(["c"]);
    await s.clear();
    expect(await s.length()).toBe(0);
    s.store.clear();
  });

  test("touch() replaces the cookie only, and never creates a session", async () => {
    const s = make();
    await s.set("a", session(future(), { views: 3 }));
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await s.touch("a", session(later, { views: 999 }));
    const got = await s.get("a");
    expect(got?.views).toBe(3);
    expect(got?.cookie?.expires).toBe(later);
    await s.touch("ghost", session(later));
    expect(await s.get("ghost")).toBeUndefined();
  });

  test("store.sessions maps each ID to its JSON (code written for express-session peeks there)", async () => {
    const s = make();
    await s.set("a", session(null, { views: 2 }));
    const sessions = (s.store as unknown as { sessions: Record<string, string> }).sessions;
    expect(Object.keys(sessions)).toEqual(["a"]);
    expect(JSON.parse(sessions.a ?? "null")).toEqual(session(null, { views: 2 }));
  });

  test("touches in a row keep the data and take each new cookie, wherever the cookie sits", async () => {
    const s = make();
    // Stored with the cookie last, as a store written by hand might hold it.
    await s.set("a", { views: 4, nested: { deep: [1, "}"] }, cookie: session(future()).cookie });
    for (let i = 1; i <= 3; i++) {
      const expires = new Date(Date.now() + i * 3_600_000).toISOString();
      await s.touch("a", session(expires, { views: 999 }));
      const got = await s.get("a");
      expect(got).toEqual({
        views: 4,
        nested: { deep: [1, "}"] },
        cookie: session(expires).cookie,
      });
    }
  });

  test("touch() with the middleware's Cookie stores what JSON.stringify makes of it", async () => {
    const s = make();
    await s.set("a", session(future(), { views: 1 }));
    const cookie = new impl.session.Cookie({ maxAge: 90_000, sameSite: "lax", domain: "a.test" });
    await s.touch("a", { cookie });
    const sessions = (s.store as unknown as { sessions: Record<string, string> }).sessions;
    expect(JSON.parse(sessions.a ?? "null")).toEqual({
      views: 1,
      cookie: JSON.parse(JSON.stringify(cookie)),
    });
  });

  test("an entry of store.sessions replaced directly is what later reads and touches see", async () => {
    const s = make();
    await s.set("a", session(future(), { views: 1 }));
    await s.touch("a", session(future(), {}));
    const sessions = (s.store as unknown as { sessions: Record<string, string> }).sessions;
    sessions.a = JSON.stringify(session(future(), { views: 2 }));
    expect((await s.get("a"))?.views).toBe(2);
    const later = new Date(Date.now() + 7_200_000).toISOString();
    await s.touch("a", session(later));
    expect(await s.get("a")).toEqual(session(later, { views: 2 }));
    // Replaced with an expired one: gone on the next read, even right after a touch said otherwise.
    sessions.a = JSON.stringify(session(past(), { views: 3 }));
    expect(await s.get("a")).toBeUndefined();
    expect(sessions.a).toBeUndefined();
  });

  test("a touch to an expiry in the past expires the session; a touch never revives one", async () => {
    const s = make();
    await s.set("a", session(future(), { views: 1 }));
    await s.touch("a", session(past()));
    expect(await s.get("a")).toBeUndefined();
    await s.set("b", session(past(), { views: 1 }));
    await s.touch("b", session(future()));
    expect(await s.get("b")).toBeUndefined();
    expect(await s.length()).toBe(0);
  });

  test("callbacks are asynchronous, like any real store's", async () => {
    const s = make();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      s.store.set("a", session(future()), () => {
        order.push("set");
        s.store.get("a", () => {
          order.push("get");
          resolve();
        });
        order.push("after get call");
      });
      order.push("after set call");
    });
    expect(order).toEqual(["after set call", "set", "after get call", "get"]);
  });
});

describe.skipIf(!oursLoaded)("ours: MemoryStore in production", () => {
  test("warns once when NODE_ENV=production and the default store is used", () => {
    const previous = process.env.NODE_ENV;
    const messages: string[] = [];
    const emit = vi.spyOn(process, "emitWarning").mockImplementation((w: string | Error) => {
      messages.push(String(w instanceof Error ? w.message : w));
    });
    const warn = vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => {
      messages.push(a.map(String).join(" "));
    });
    try {
      process.env.NODE_ENV = "production";
      const options = { secret: SECRET, resave: false, saveUninitialized: false };
      ours().session(options);
      ours().session(options);
    } finally {
      process.env.NODE_ENV = previous;
      emit.mockRestore();
      warn.mockRestore();
    }
    const memoryWarnings = messages.filter((m) => /MemoryStore/.test(m));
    expect(memoryWarnings).toHaveLength(1);
  });
});

// Logging and metrics wrappers (and express-session's own test spies) replace the store's `set`
// on the instance. Every save of a session must reach it: a new session, a loaded one that
// changed, an explicit save(), and resave. Ours saves a loaded session through the store's
// `update`, which must write through `set`.
describe.each(implementations)("%s: a wrapper around the MemoryStore's set", (_name, impl) => {
  async function saves(options: { resave: boolean }, visit: (b: Browser) => Promise<unknown>) {
    const store = new impl.session.MemoryStore();
    const seen: string[] = [];
    const set = store.set.bind(store);
    store.set = (sid, session, callback) => {
      seen.push(sid);
      set(sid, session, callback);
    };
    const harness = await startHarness({ impl, options: { store, ...options } });
    const browser = harness.browser();
    await browser.get("/write?n=1");
    await visit(browser);
    return seen.length;
  }

  test("sees the first save and every save of a loaded session", async () => {
    expect(await saves({ resave: false }, async () => {})).toBe(1);
    expect(await saves({ resave: false }, (b) => b.get("/write?n=2"))).toBe(2);
    expect(await saves({ resave: false }, (b) => b.get("/save"))).toBeGreaterThanOrEqual(2);
    expect(await saves({ resave: true }, (b) => b.get("/read"))).toBe(2);
  });
});
