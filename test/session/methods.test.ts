import type { Express, Request } from "express";
import { describe, expect, test } from "vitest";
import {
  aboutMs,
  type RouteSnapshot,
  sess,
  startHarness,
  wait,
} from "../helpers/session-harness.js";
import { implementations, type StoredSession } from "../helpers/session-impls.js";
import { recordStore, storeDestroy } from "../helpers/session-recording-store.js";

// req.session's methods and properties, as an app uses them: login (regenerate), logout
// (destroy), reload, an explicit save, touch, the read-only id and the per-session cookie.

const MINUTE = 60_000;

describe.each(implementations)("%s: Session methods", (_name, impl) => {
  async function setup(options: { rolling?: boolean; maxAge?: number } = {}) {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: {
        store: rec.store,
        rolling: options.rolling,
        cookie: options.maxAge ? { maxAge: options.maxAge } : {},
      },
    });
    return { rec, h, browser: h.browser() };
  }

  describe("regenerate(): a new ID on login, the old session is gone", () => {
    test("a returning visitor gets a new ID, the old one is destroyed and the new one saved", async () => {
      const { rec, h, browser } = await setup();
      await browser.get("/write");
      const oldCookie = browser.cookie;
      const oldId = browser.sid;
      rec.reset();

      const res = await browser.get("/regenerate?write=1");
      const body = res.json<RouteSnapshot & { oldId: string }>();
      expect(body.oldId).toBe(oldId);
      expect(body.sessionID).not.toBe(oldId);
      expect(body.id).toBe(body.sessionID);
      expect(body.views).toBe(1); // the data did not survive
      expect(browser.sid).toBe(body.sessionID);
      expect(rec.calls.map((c) => [c.method, c.sid])).toEqual([
        ["get", oldId],
        ["destroy", oldId],
        ["set", body.sessionID],
      ]);

      expect(await rec.peek(String(oldId))).toBeNull();
      expect((await h.get("/read", { cookie: oldCookie })).json()).toMatchObject({ views: null });
      expect((await browser.get("/read")).json()).toMatchObject({ views: 1 });
    });

    test("even with nothing written afterwards, the new session is saved and its cookie sent", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      const oldId = browser.sid;
      rec.reset();
      const res = await browser.get("/regenerate");
      expect(res.sessionCookie()).toBeDefined();
      expect(browser.sid).not.toBe(oldId);
      expect(rec.methods()).toEqual(["get", "destroy", "set"]);
    });

    test("a new visitor: the just-generated ID is destroyed and the next one saved", async () => {
      const { rec, browser } = await setup();
      const res = await browser.get("/regenerate");
      const body = res.json<RouteSnapshot & { oldId: string }>();
      expect(rec.calls.map((c) => [c.method, c.sid])).toEqual([
        ["destroy", body.oldId],
        ["set", body.sessionID],
      ]);
      expect(browser.sid).toBe(body.sessionID);
    });

    test("Store#regenerate(req, cb) called directly does the same", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        options: { store: rec.store },
        routes: (app) =>
          app.get("/store-regenerate", (req, res, next) => {
            const r = sess(req);
            const old = r.sessionID;
            r.sessionStore?.regenerate?.(req, (err) => {
              if (err) return next(err);
              res.json({ old, now: r.sessionID, id: r.session?.id });
            });
          }),
      });
      const browser = h.browser();
      await browser.get("/write");
      rec.reset();
      const body = (await browser.get("/store-regenerate")).json<Record<string, string>>();
      expect(body.now).not.toBe(body.old);
      expect(body.id).toBe(body.now);
      expect(browser.sid).toBe(body.now);
      expect(rec.methods()).toEqual(["get", "destroy", "set"]);
    });
  });

  describe("destroy(): logout", () => {
    test("the session is deleted, req.session is gone and no cookie is sent", async () => {
      const { rec, h, browser } = await setup({ rolling: true, maxAge: MINUTE });
      await browser.get("/write");
      const cookie = browser.cookie;
      const id = browser.sid;
      rec.reset();
      const res = await browser.get("/destroy");
      expect(res.json()).toMatchObject({ hasSession: false, sessionID: id });
      expect(res.sessionCookie()).toBeUndefined();
      expect(rec.calls.map((c) => [c.method, c.sid])).toEqual([
        ["get", id],
        ["destroy", id],
      ]);
      const after = (await h.get("/read", { cookie })).json();
      expect(after.sessionID).not.toBe(id);
      expect(after.views).toBeNull();
    });
  });

  describe("reload(): re-read from the store", () => {
    test("local changes are replaced by what the store holds", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      rec.reset();
      const res = await browser.get("/reload");
      expect(res.status).toBe(200);
      expect(res.json().views).toBe(1);
      expect(rec.methods()).toEqual(["get", "get", "touch"]);
    });

    test("a session gone from the store is an error", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      const id = String(browser.sid);
      const realGet = rec.store.get.bind(rec.store);
      // Found at the start of the request, gone by the time the route reloads it.
      let gets = 0;
      rec.store.get = (sid, cb) => {
        gets += 1;
        if (gets === 2) void storeDestroy(rec.store, id).then(() => realGet(sid, cb));
        else realGet(sid, cb);
      };
      const res = await browser.get("/reload");
      expect(res.status).toBe(500);
      expect(res.json().reloadError).toMatch(/Error/);
    });
  });

  describe("save(): write now", () => {
    test("the end of the request does not write the same data again", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      rec.reset();
      const res = await browser.get("/save");
      expect(res.json().views).toBe(2);
      expect(rec.methods()).toEqual(["get", "set", "touch"]);
      expect(rec.calls[1]?.session?.views).toBe(2);
    });

    test("changed again after saving: written again at the end", async () => {
      const { rec, browser } = await setup();
      await browser.get("/write");
      rec.reset();
      await browser.get("/save?after=1");
      expect(rec.methods()).toEqual(["get", "set", "set"]);
      expect(rec.calls[2]?.session?.views).toBe(3);
    });

    test("with resave: true as well, a saved session is not saved twice", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({ impl, options: { store: rec.store, resave: true } });
      const browser = h.browser();
      await browser.get("/write");
      rec.reset();
      await browser.get("/save");
      expect(rec.methods()).toEqual(["get", "set", "touch"]);
    });

    // The "saved?" bookkeeping follows the session that replaces req.session, as express-session's
    // wrapped methods have it: after reload() the route's save counts; after regenerate() the new
    // ID is written again at the end whatever the route saved (express-session does not wrap the
    // regenerated session's save); a Session the route builds itself is not the request's.
    async function setupSaving(route: (req: Request, done: (err?: unknown) => void) => void) {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        options: { store: rec.store },
        routes: (app) =>
          app.get("/saving", (req, res, next) =>
            route(req, (err) => (err ? next(err) : res.json({ views: sess(req).session?.views }))),
          ),
      });
      return { rec, browser: h.browser() };
    }
    type Saving = { views?: number; save(cb: (err?: unknown) => void): void };
    const saving = (req: Request) => sess(req).session as unknown as Saving;

    test("reload() then save(): the end does not write the same data again", async () => {
      const { rec, browser } = await setupSaving((req, done) => {
        saving(req).views = -1;
        (sess(req).session as unknown as { reload(cb: (err?: unknown) => void): void }).reload(
          (err) => {
            if (err) return done(err);
            const s = saving(req);
            s.views = (s.views ?? 0) + 10;
            s.save(done);
          },
        );
      });
      await browser.get("/write");
      rec.reset();
      expect((await browser.get("/saving")).json().views).toBe(11);
      expect(rec.methods()).toEqual(["get", "get", "set", "touch"]);
    });

    test("regenerate() then save(): the new session is written again at the end", async () => {
      const { rec, browser } = await setupSaving((req, done) => {
        (
          sess(req).session as unknown as { regenerate(cb: (err?: unknown) => void): void }
        ).regenerate((err) => {
          if (err) return done(err);
          saving(req).views = 5;
          saving(req).save(done);
        });
      });
      await browser.get("/write");
      rec.reset();
      expect((await browser.get("/saving")).json().views).toBe(5);
      expect(rec.methods()).toEqual(["get", "destroy", "set", "set"]);
    });

    test("a new visitor's session saved by the route: one set, and the cookie is sent", async () => {
      const { rec, browser } = await setup();
      const res = await browser.get("/save");
      expect(rec.methods()).toEqual(["set"]);
      expect(res.sessionCookie()).toBeDefined();
    });
  });

  describe("touch() and the cookie's countdown", () => {
    test("maxAge counts down from the last request, and touch() restores it", async () => {
      const { browser } = await setup({ maxAge: MINUTE });
      await browser.get("/write");
      await wait(300);
      const read = (await browser.get("/read")).json();
      expect(read.cookie?.originalMaxAge).toEqual(aboutMs(MINUTE));
      expect(read.cookie?.maxAge).toBeLessThanOrEqual(MINUTE - 300);
      expect(read.cookie?.maxAge).toBeGreaterThan(0);
      // Each request ended by touching the session: the countdown restarted there.
      await wait(300);
      const touched = (await browser.get("/touch")).json<RouteSnapshot & { before: number }>();
      expect(touched.before).toBeLessThanOrEqual(MINUTE - 300);
      expect(touched.cookie?.maxAge).toBeGreaterThan(touched.before);
      expect(touched.cookie?.maxAge).toBeLessThanOrEqual(MINUTE);
    });
  });

  describe("req.session.cookie belongs to one session (remember me)", () => {
    test("a longer maxAge for one visitor changes only that visitor's cookie", async () => {
      const { rec, h } = await setup({ maxAge: MINUTE });
      const remembered = h.browser();
      const other = h.browser();
      const hour = 60 * MINUTE;

      const res = await remembered.get(`/set-maxage?ms=${hour}&write=1`);
      const expires = res.sessionCookie()?.expires?.getTime() ?? 0;
      expect(Math.abs(expires - (Date.now() + hour))).toBeLessThan(5_000);
      expect(rec.calls.at(-1)?.session?.cookie?.originalMaxAge).toEqual(aboutMs(hour));

      const otherRes = await other.get("/write");
      const otherExpires = otherRes.sessionCookie()?.expires?.getTime() ?? 0;
      expect(Math.abs(otherExpires - (Date.now() + MINUTE))).toBeLessThan(5_000);

      // Later requests keep the longer lifetime: the countdown restarts from it.
      const again = await remembered.get("/write");
      const againExpires = again.sessionCookie()?.expires?.getTime() ?? 0;
      expect(Math.abs(againExpires - (Date.now() + hour))).toBeLessThan(5_000);
      expect((await remembered.get("/read")).json().cookie?.originalMaxAge).toEqual(aboutMs(hour));
    });

    test("changing only the cookie of a returning session is not a modification: no Set-Cookie", async () => {
      const { rec, browser } = await setup({ maxAge: MINUTE });
      await browser.get("/write");
      rec.reset();
      const res = await browser.get(`/set-maxage?ms=${60 * MINUTE}`);
      expect(res.sessionCookie()).toBeUndefined();
      // ...but the store is touched with the new expiry.
      expect(rec.methods()).toEqual(["get", "touch"]);
      expect(rec.calls[1]?.session?.cookie?.originalMaxAge).toEqual(aboutMs(60 * MINUTE));
    });
  });

  describe("id, sessionID, sessionStore and what gets stored", () => {
    function inspectRoute(app: Express) {
      app.get("/inspect", (req: Request, res) => {
        const r = sess(req);
        const s = r.session;
        if (!s) throw new Error("no session");
        s.views = 1;
        let threw = false;
        const before = s.id;
        try {
          (s as { id: string }).id = "hijacked";
        } catch {
          threw = true;
        }
        res.json({
          idUnchanged: s.id === before && s.id === r.sessionID,
          assignmentThrew: threw,
          keys: Object.keys(s).sort(),
          json: JSON.parse(JSON.stringify(s)),
          isSession: s instanceof impl.session.Session,
          isCookie: s.cookie instanceof impl.session.Cookie,
          storeIsOption: r.sessionStore === storeRef.store,
          methodsHidden: ["regenerate", "destroy", "reload", "save", "touch", "id", "req"].every(
            (k) => !Object.keys(s).includes(k),
          ),
        });
      });
    }
    const storeRef: { store?: unknown } = {};

    test("id is read-only and not enumerable; only data and cookie are stored", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      storeRef.store = rec.store;
      const h = await startHarness({ impl, options: { store: rec.store }, routes: inspectRoute });
      const body = (await h.get("/inspect")).json<Record<string, unknown>>();
      expect(body).toMatchObject({
        idUnchanged: true,
        // ES modules are strict: assigning a read-only property throws.
        assignmentThrew: true,
        keys: ["cookie", "views"],
        isSession: true,
        isCookie: true,
        storeIsOption: true,
        methodsHidden: true,
      });
      expect(Object.keys(body.json as object).sort()).toEqual(["cookie", "views"]);
      const stored = rec.calls[0]?.session as StoredSession;
      expect(Object.keys(stored).sort()).toEqual(["cookie", "views"]);
    });
  });

  describe("Session and Store classes used directly", () => {
    test("new Session(req, data) takes its id from req.sessionID and copies the data", () => {
      const req = { sessionID: "abc", sessionStore: new impl.session.MemoryStore() };
      const s = new impl.session.Session(req, { views: 3, nested: { a: 1 }, save: "shadow?" });
      expect(s.id).toBe("abc");
      expect(s.views).toBe(3);
      expect(s.nested).toEqual({ a: 1 });
      // Stored keys never shadow the methods.
      expect(typeof s.save).toBe("function");
      expect(Object.keys(s).sort()).toEqual(["nested", "views"]);
      // The ID is the one it was made with, whatever req.sessionID becomes (regenerate).
      req.sessionID = "xyz";
      expect(s.id).toBe("abc");
      expect(s.req).toBe(req);
      expect(JSON.parse(JSON.stringify(s))).toEqual({ views: 3, nested: { a: 1 } });
    });

    test("Store#createSession rebuilds a Session with a real Cookie and Date expiry", () => {
      const store = new impl.session.MemoryStore();
      const expires = new Date(Date.now() + MINUTE);
      const req: Record<string, unknown> = { sessionID: "sid-1", sessionStore: store };
      const s = store.createSession?.(req, {
        cookie: {
          originalMaxAge: 2 * MINUTE,
          expires: expires.toISOString(),
          httpOnly: true,
          path: "/",
        },
        views: 5,
      });
      expect(s).toBeInstanceOf(impl.session.Session);
      expect(req.session).toBe(s);
      expect(s?.id).toBe("sid-1");
      expect(s?.views).toBe(5);
      expect(s?.cookie).toBeInstanceOf(impl.session.Cookie);
      expect(s?.cookie.expires).toEqual(expires);
      expect(s?.cookie.originalMaxAge).toBe(2 * MINUTE);
      expect(s?.cookie.maxAge).toBeLessThanOrEqual(MINUTE);
    });

    test("Store#load(sid) gives a Session, or nothing for an unknown ID", async () => {
      const store = new impl.session.MemoryStore();
      await new Promise<void>((resolve) =>
        store.set(
          "sid-2",
          { cookie: { originalMaxAge: null, expires: null, path: "/" }, views: 7 },
          () => resolve(),
        ),
      );
      const loaded = await new Promise<unknown>((resolve, reject) =>
        store.load?.("sid-2", (err, s) => (err ? reject(err) : resolve(s))),
      );
      expect(loaded).toBeInstanceOf(impl.session.Session);
      expect(loaded).toMatchObject({ id: "sid-2", views: 7 });
      const missing = await new Promise<unknown>((resolve, reject) =>
        store.load?.("nope", (err, s) => (err ? reject(err) : resolve(s))),
      );
      expect(missing).toBeUndefined();
    });

    test("a store written as a plain function inherits with Store.call(this)", () => {
      const { Store } = impl.session;
      function LegacyStore(this: Record<string, unknown>) {
        (Store as unknown as (this: unknown) => void).call(this);
      }
      Object.setPrototypeOf(LegacyStore.prototype, Store.prototype);
      const legacy = new (LegacyStore as unknown as new () => { on: unknown; load: unknown })();
      expect(legacy).toBeInstanceOf(Store);
      expect(typeof legacy.on).toBe("function");
      expect(typeof legacy.load).toBe("function");
    });
  });
});
