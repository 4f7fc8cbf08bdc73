import { createHash } from "node:crypto";
import type { Express, Request, Response } from "express";
import { describe, expect, test } from "vitest";
import {
  type RouteSnapshot,
  SECRET,
  sess,
  signedCookie,
  snapshot,
  startHarness,
  wait,
} from "../helpers/session-harness.js";
import {
  type AnySessionOptions,
  type Impl,
  ours,
  oursLoaded,
  type SessionLike,
} from "../helpers/session-impls.js";
import { recordStore, storeSet } from "../helpers/session-recording-store.js";

// [beyond] What express-session does not do and ours does: promises, async genid, an absolute
// lifetime, touch throttling, hashed store keys, cookie-prefix checks, strict option validation.
// Each is off by default (the comparison files prove the defaults behave like express-session).

const sha256 = (id: string) => createHash("sha256").update(id).digest("hex");

function current(req: Request): SessionLike {
  const s = sess(req).session;
  if (!s) throw new Error("no session");
  return s;
}

/** Routes that use each Session method without a callback, awaiting the Promise. */
function promiseRoutes(app: Express) {
  const run =
    (method: "regenerate" | "save" | "reload" | "destroy", before?: (s: SessionLike) => void) =>
    async (req: Request, res: Response) => {
      const s = current(req);
      before?.(s);
      const oldId = sess(req).sessionID;
      const returned = s[method]();
      const isPromise = returned instanceof Promise;
      try {
        await returned;
        res.json(snapshot(req, { isPromise, oldId }));
      } catch (err) {
        res.status(500).json(snapshot(req, { isPromise, rejected: (err as Error).message }));
      }
    };
  app.get(
    "/p/regenerate",
    run("regenerate", () => {}),
  );
  app.get(
    "/p/save",
    run("save", (s) => {
      s.views = 41;
    }),
  );
  app.get(
    "/p/reload",
    run("reload", (s) => {
      s.views = -1;
    }),
  );
  app.get("/p/destroy", run("destroy"));
  // With a callback: no Promise comes back (so an error handled by the callback is not also an
  // unhandled rejection).
  app.get("/cb/save", (req, res) => {
    const returned = current(req).save((err) => {
      res.json({
        thenable: typeof (returned as { then?: unknown } | undefined)?.then === "function",
        err: err ? String(err) : null,
      });
    });
  });
}

describe.skipIf(!oursLoaded)("ours [beyond]", () => {
  const impl: Impl = oursLoaded ? ours() : (undefined as unknown as Impl);

  async function start(options: AnySessionOptions = {}, withRoutes = true) {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, ...options },
      routes: withRoutes ? promiseRoutes : undefined,
    });
    return { rec, h, browser: h.browser() };
  }

  describe("Session methods return a Promise when called without a callback", () => {
    test("regenerate(): resolves once the new session is in place", async () => {
      const { rec, browser } = await start();
      await browser.get("/write");
      const oldId = browser.sid;
      rec.reset();
      const body = (await browser.get("/p/regenerate")).json<
        RouteSnapshot & { isPromise: boolean }
      >();
      expect(body.isPromise).toBe(true);
      expect(body.sessionID).not.toBe(oldId);
      expect(body.id).toBe(body.sessionID);
      expect(browser.sid).toBe(body.sessionID);
      expect(rec.methods()).toEqual(["get", "destroy", "set"]);
    });

    test("save(): resolves once the store has it", async () => {
      const { rec, browser } = await start();
      await browser.get("/write");
      rec.reset();
      const body = (await browser.get("/p/save")).json<RouteSnapshot & { isPromise: boolean }>();
      expect(body.isPromise).toBe(true);
      expect(rec.calls[1]).toMatchObject({ method: "set", session: { views: 41 } });
      expect((await browser.get("/read")).json().views).toBe(41);
    });

    test("reload(): resolves with req.session re-read", async () => {
      const { browser } = await start();
      await browser.get("/write");
      const body = (await browser.get("/p/reload")).json<RouteSnapshot & { isPromise: boolean }>();
      expect(body).toMatchObject({ isPromise: true, views: 1 });
    });

    test("destroy(): resolves with req.session gone", async () => {
      const { rec, browser } = await start();
      await browser.get("/write");
      const sid = String(browser.sid);
      const body = (await browser.get("/p/destroy")).json<RouteSnapshot & { isPromise: boolean }>();
      expect(body).toMatchObject({ isPromise: true, hasSession: false });
      expect(await rec.peek(sid)).toBeNull();
    });

    test.each([
      ["regenerate", "destroy"],
      ["save", "set"],
      ["reload", "get"],
      ["destroy", "destroy"],
    ] as const)("%s(): rejects with the store's error", async (method, storeMethod) => {
      const { rec, browser } = await start();
      await browser.get("/write");
      const err = new Error(`${storeMethod} down`);
      // The request's own load must succeed: fail only the method's call.
      rec.failWith(storeMethod, err, storeMethod === "get" ? 0 : 1);
      if (storeMethod === "get") {
        const realGet = rec.store.get;
        let n = 0;
        rec.store.get = (sid, cb) => {
          n += 1;
          if (n === 2) setImmediate(() => cb(err));
          else realGet(sid, cb);
        };
      }
      const res = await browser.get(`/p/${method}`);
      expect(res.status).toBe(500);
      expect(res.json()).toMatchObject({ isPromise: true, rejected: `${storeMethod} down` });
    });

    test("with a callback, the callback gets the error and no Promise is returned", async () => {
      const { rec, browser } = await start();
      await browser.get("/write");
      rec.failWith("set", new Error("set down"), 1);
      const body = (await browser.get("/cb/save")).json<Record<string, unknown>>();
      expect(body).toEqual({ thenable: false, err: "Error: set down" });
    });
  });

  describe("genid may be async", () => {
    test("new sessions and regenerated ones get the awaited ID", async () => {
      let n = 0;
      const { browser } = await start({
        genid: async () => {
          await wait(10);
          n += 1;
          return `async-${n}`;
        },
      });
      expect((await browser.get("/write")).json().sessionID).toBe("async-1");
      expect(browser.sid).toBe("async-1");
      const regenerated = (await browser.get("/regenerate?write=1")).json();
      expect(regenerated).toMatchObject({ sessionID: "async-2", id: "async-2", views: 1 });
      expect((await browser.get("/p/regenerate")).json().sessionID).toBe("async-3");
      expect((await browser.get("/read")).json().sessionID).toBe("async-3");
    });

    test("regenerate() rejects when the async genid does", async () => {
      let calls = 0;
      const { browser } = await start({
        genid: async () => {
          calls += 1;
          if (calls > 1) throw new Error("id service down");
          return "first-id";
        },
      });
      await browser.get("/write");
      const res = await browser.get("/p/regenerate");
      expect(res.status).toBe(500);
      expect(res.json()).toMatchObject({ isPromise: true, rejected: "id service down" });
    });

    test("a rejected genid is an error for that request", async () => {
      const { h } = await start({ genid: async () => Promise.reject(new Error("no id today")) });
      const res = await h.get("/write");
      expect(res.status).toBe(500);
      expect(res.json().error).toBe("no id today");
    });
  });

  describe("maxLifetime: an absolute lifetime, however active the session", () => {
    test("an active session is replaced, with a new ID, once older than maxLifetime", async () => {
      const { rec, browser } = await start({
        maxLifetime: 500,
        rolling: true,
        cookie: { maxAge: 60_000 },
      });
      const created = Date.now();
      await browser.get("/write");
      const firstId = String(browser.sid);
      // Busy: a request every 100 ms. Within the lifetime it stays the same session.
      while (Date.now() - created < 350) {
        const body = (await browser.get("/write")).json();
        expect(body.sessionID).toBe(firstId);
        await wait(100);
      }
      await wait(Math.max(0, 650 - (Date.now() - created)));
      rec.reset();
      const res = await browser.get("/write");
      const body = res.json();
      expect(body.sessionID).not.toBe(firstId);
      expect(body.views).toBe(1);
      expect(browser.sid).toBe(body.sessionID);
      expect(rec.calls.filter((c) => c.method === "destroy").map((c) => c.sid)).toEqual([firstId]);
      expect(await rec.peek(firstId)).toBeNull();
    });

    test("off by default: an old session lives on while active", async () => {
      const { browser } = await start({ rolling: true, cookie: { maxAge: 60_000 } });
      await browser.get("/write");
      const id = browser.sid;
      await wait(300);
      expect((await browser.get("/write")).json()).toMatchObject({ sessionID: id, views: 2 });
    });

    test("regenerate starts a new lifetime", async () => {
      const { browser } = await start({ maxLifetime: 400 });
      await browser.get("/write");
      await wait(250);
      await browser.get("/regenerate?write=1");
      const regeneratedId = browser.sid;
      await wait(250);
      // 500 ms after the first session was created, 250 ms after the regeneration.
      expect((await browser.get("/read")).json().sessionID).toBe(regeneratedId);
    });

    test("a session that existed before maxLifetime was enabled also ends (store without touch)", async () => {
      const store = new impl.session.MemoryStore();
      const before = await startHarness({ impl, options: { store } });
      const browser = before.browser();
      await browser.get("/write");
      const legacyId = browser.sid;

      const rec = recordStore(store, { withoutTouch: true });
      const after = await startHarness({ impl, options: { store: rec.store, maxLifetime: 300 } });
      const visitor = after.browser();
      visitor.cookie = browser.cookie;
      const firstSeen = Date.now();
      expect((await visitor.get("/read")).json().sessionID).toBe(legacyId);
      while (Date.now() - firstSeen < 600) {
        await visitor.get("/read");
        await wait(100);
      }
      // Read-only visits for twice the lifetime since the middleware first saw it.
      expect((await visitor.get("/read")).json().sessionID).not.toBe(legacyId);
    });
  });

  describe("touchAfter: fewer store touches, the cookie still rolls", () => {
    test("within touchAfter no touch, Set-Cookie still sent; after it, one touch", async () => {
      const { rec, browser } = await start({
        rolling: true,
        touchAfter: 500,
        cookie: { maxAge: 60_000 },
      });
      await browser.get("/write");
      rec.reset();

      const soon = await browser.get("/read");
      expect(soon.sessionCookie()).toBeDefined();
      expect(rec.methods()).toEqual(["get"]);

      await wait(600);
      rec.reset();
      const later = await browser.get("/read");
      expect(later.sessionCookie()).toBeDefined();
      expect(rec.methods()).toEqual(["get", "touch"]);

      rec.reset();
      await browser.get("/read");
      expect(rec.methods()).toEqual(["get"]);
    });

    test("a changed session is still saved at once", async () => {
      const { rec, browser } = await start({
        rolling: true,
        touchAfter: 60_000,
        cookie: { maxAge: 60_000 },
      });
      await browser.get("/write");
      rec.reset();
      expect((await browser.get("/write")).json().views).toBe(2);
      expect(rec.methods()).toEqual(["get", "set"]);
    });

    test("without rolling too: the touch is throttled", async () => {
      const { rec, browser } = await start({ touchAfter: 60_000, cookie: { maxAge: 60_000 } });
      await browser.get("/write");
      rec.reset();
      await browser.get("/read");
      await browser.get("/read");
      expect(rec.methods()).toEqual(["get", "get"]);
    });

    test("off by default: every unchanged request touches", async () => {
      const { rec, browser } = await start({ rolling: true, cookie: { maxAge: 60_000 } });
      await browser.get("/write");
      rec.reset();
      await browser.get("/read");
      await browser.get("/read");
      expect(rec.methods()).toEqual(["get", "touch", "get", "touch"]);
    });
  });

  describe("hashStoreKeys: the store never sees a session ID", () => {
    async function hashed(options: AnySessionOptions = {}) {
      const ctx = await start({ hashStoreKeys: true, cookie: { maxAge: 60_000 }, ...options });
      const ids = new Set<string>();
      const track = (id: string | undefined) => id && ids.add(id);
      const leaks = () =>
        ctx.rec.calls.filter((c) =>
          [...ids].some((id) => c.sid === id || JSON.stringify(c.session ?? {}).includes(id)),
        );
      return { ...ctx, track, leaks };
    }

    test("keys are the SHA-256 hex of the cookie's ID; the app still sees the ID", async () => {
      const { rec, browser, track, leaks } = await hashed();
      const body = (await browser.get("/write")).json();
      const id = String(browser.sid);
      track(id);
      expect(body.sessionID).toBe(id);
      expect(body.id).toBe(id);
      expect(rec.calls[0]?.sid).toBe(sha256(id));
      expect(rec.calls[0]?.sid).toMatch(/^[0-9a-f]{64}$/);
      expect(await rec.peek(id)).toBeNull();
      expect((await rec.peek(sha256(id)))?.views).toBe(1);
      expect(leaks()).toEqual([]);
    });

    test("read, change, save, reload, touch, regenerate, destroy: all through the hash", async () => {
      const { rec, browser, track, leaks } = await hashed({ rolling: true });
      await browser.get("/write");
      const first = String(browser.sid);
      track(first);
      expect((await browser.get("/read")).json()).toMatchObject({ sessionID: first, views: 1 });
      expect((await browser.get("/write")).json().views).toBe(2);
      expect((await browser.get("/save")).json().views).toBe(3);
      expect((await browser.get("/p/save")).json().views).toBe(41);
      expect((await browser.get("/reload")).json().views).toBe(41);
      expect((await browser.get("/touch")).status).toBe(200);
      const regenerated = (await browser.get("/regenerate?write=1")).json();
      const second = String(regenerated.sessionID);
      track(second);
      expect(second).not.toBe(first);
      expect(await rec.peek(sha256(first))).toBeNull();
      expect((await browser.get("/read")).json()).toMatchObject({ sessionID: second, views: 1 });
      await browser.get("/p/regenerate");
      const third = String(browser.sid);
      track(third);
      expect(await rec.peek(sha256(second))).toBeNull();
      await browser.get("/destroy");
      expect(await rec.peek(sha256(third))).toBeNull();

      expect(leaks()).toEqual([]);
      const methods = new Set(rec.methods());
      expect([...methods].sort()).toEqual(["destroy", "get", "set", "touch"]);
      for (const call of rec.calls) expect(call.sid).toMatch(/^[0-9a-f]{64}$/);
    });

    test('unset: "destroy" and maxLifetime destroy through the hash', async () => {
      const { rec, browser, track, leaks } = await hashed({ unset: "destroy", maxLifetime: 200 });
      await browser.get("/write");
      const first = String(browser.sid);
      track(first);
      await browser.get("/unset");
      expect(rec.calls.at(-1)).toEqual({ method: "destroy", sid: sha256(first) });
      await browser.get("/write");
      const second = String(browser.sid);
      track(second);
      await wait(300);
      await browser.get("/write");
      track(browser.sid);
      expect(rec.calls.filter((c) => c.method === "destroy").map((c) => c.sid)).toContain(
        sha256(second),
      );
      expect(leaks()).toEqual([]);
    });

    test("Store#regenerate(req, cb) called by the app also destroys through the hash", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        options: { store: rec.store, hashStoreKeys: true },
        routes: (app) =>
          app.get("/store-regenerate", (req, res, next) => {
            sess(req).sessionStore?.regenerate?.(req, (err) =>
              err ? next(err) : res.json(snapshot(req)),
            );
          }),
      });
      const browser = h.browser();
      await browser.get("/write");
      const id = String(browser.sid);
      rec.reset();
      await browser.get("/store-regenerate");
      expect(rec.calls.find((c) => c.method === "destroy")?.sid).toBe(sha256(id));
      expect(await rec.peek(sha256(id))).toBeNull();
    });

    test("Store#load(id) (e.g. a WebSocket handshake) finds the session, and saving it keeps the hash", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        options: { store: rec.store, hashStoreKeys: true },
        routes: (app) =>
          app.get("/load", (req, res, next) => {
            const store = sess(req).sessionStore;
            store?.load?.(String(sess(req).sessionID), (err, loaded) => {
              if (err) return next(err);
              if (!loaded) return res.json({ found: false });
              loaded.views = 100;
              loaded.save((saveErr) => (saveErr ? next(saveErr) : res.json({ found: true })));
            });
          }),
      });
      const browser = h.browser();
      await browser.get("/write");
      const id = String(browser.sid);
      rec.reset();
      expect((await browser.get("/load")).json()).toEqual({ found: true });
      for (const call of rec.calls) expect(call.sid).toBe(sha256(id));
      expect((await rec.peek(sha256(id)))?.views).toBe(100);
    });

    test("a session saved under the raw ID (before the option was on) is not found", async () => {
      const { rec, h } = await hashed();
      await storeSet(rec.store, "raw-id", {
        cookie: { originalMaxAge: null, expires: null, path: "/" },
        views: 5,
      });
      const body = (await h.get("/read", { cookie: signedCookie("raw-id") })).json();
      expect(body.views).toBeNull();
    });
  });

  describe("cookie-prefix checks at session()", () => {
    const base: AnySessionOptions = { secret: SECRET, resave: false, saveUninitialized: false };
    test.each<[string, AnySessionOptions]>([
      ["__Host- without secure", { name: "__Host-sid", cookie: { path: "/" } }],
      ["__Host- with secure: false", { name: "__Host-sid", cookie: { secure: false } }],
      [
        "__Host- with a domain",
        { name: "__Host-sid", cookie: { secure: true, domain: "example.com" } },
      ],
      ["__Host- with path /app", { name: "__Host-sid", cookie: { secure: true, path: "/app" } }],
      ["__Secure- without secure", { name: "__Secure-sid" }],
      ["__Secure- with secure: false", { name: "__Secure-sid", cookie: { secure: false } }],
    ])("%s is a TypeError", (_what, options) => {
      expect(() => impl.session({ ...base, ...options })).toThrow(TypeError);
    });

    test.each<[string, AnySessionOptions]>([
      [
        "__Host- with secure, path / and no domain",
        { name: "__Host-sid", cookie: { secure: true, path: "/" } },
      ],
      [
        "__Host- with secure and the default path",
        { name: "__Host-sid", cookie: { secure: true } },
      ],
      [
        "__Secure- with secure and a domain",
        { name: "__Secure-sid", cookie: { secure: true, domain: "example.com" } },
      ],
      ["a name merely containing Host-", { name: "my__Host-sid" }],
    ])("%s is accepted", (_what, options) => {
      expect(() => impl.session({ ...base, ...options })).not.toThrow();
    });

    test("a __Host- cookie goes out with Secure and Path=/ behind a trusted proxy", async () => {
      const h = await startHarness({
        impl,
        trustProxy: 1,
        options: { name: "__Host-sid", cookie: { secure: true } },
      });
      const res = await h.get("/write", { headers: { "x-forwarded-proto": "https" } });
      expect(res.sessionCookie("__Host-sid")?.masked).toBe(
        "__Host-sid=<value>; Path=/; HttpOnly; Secure",
      );
    });
  });

  describe("option validation at session()", () => {
    // Each is reported as itself, with the secret given or left out (express-session's order).
    test.each<[string, AnySessionOptions, RegExp]>([
      ["an empty secret array", { secret: [] }, /secret option array/],
      ["a secret array with an empty string", { secret: ["a", ""] }, /secret option must/],
      ["a genid that is not a function", { genid: 42 as unknown as () => string }, /genid/],
      ['unset: "remove"', { unset: "remove" }, /unset/],
      ["a negative maxLifetime", { maxLifetime: -1 }, /maxLifetime/],
      [
        "a maxLifetime that is not a number",
        { maxLifetime: "1h" as unknown as number },
        /maxLifetime/,
      ],
      ["a negative touchAfter", { touchAfter: -5 }, /touchAfter/],
      ["a resave that is not a boolean", { resave: "yes" as unknown as boolean }, /resave/],
      ["a store without get()", { store: {} as never }, /store/],
      ["a cookie that is a number", { cookie: 5 as never }, /cookie/],
    ])("%s is a TypeError naming it", (_what, bad, named) => {
      for (const secret of [SECRET, undefined]) {
        const options = { resave: false, saveUninitialized: false, secret, ...bad };
        expect(() => impl.session(options)).toThrow(TypeError);
        expect(() => impl.session(options)).toThrow(named);
      }
    });
  });
});
