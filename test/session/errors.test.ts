import type { Request } from "express";
import { describe, expect, test, vi } from "vitest";
import {
  type RouteSnapshot,
  sess,
  signedCookie,
  startHarness,
} from "../helpers/session-harness.js";
import { implementations, ours } from "../helpers/session-impls.js";
import { recordStore, type StoreMethod } from "../helpers/session-recording-store.js";

// A store that fails, or goes away. Loading errors stop the request (the app's error handler
// answers); errors while writing at the end are reported, and the response still completes.

function storeError(message: string, code?: string): Error {
  const err = new Error(message) as Error & { code?: string };
  if (code) err.code = code;
  return err;
}

describe.each(implementations)("%s: the store fails", (_name, impl) => {
  async function returning(options: { unset?: string; resave?: boolean } = {}) {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store, ...options } });
    const browser = h.browser();
    await browser.get("/write");
    rec.reset();
    return { rec, h, browser };
  }

  test("get fails: the error goes to next(err), the app answers 500, nothing else happens", async () => {
    const { rec, h, browser } = await returning();
    const err = storeError("connection refused");
    rec.failWith("get", err, 1);
    const res = await browser.get("/write");
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ error: "connection refused", code: null });
    expect(h.errors).toEqual([err]);
    expect(res.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["get"]);
    // The session itself is untouched: the next request finds it.
    expect((await browser.get("/read")).json().views).toBe(1);
  });

  test("get fails with code ENOENT: treated as not found, a fresh session", async () => {
    const { rec, h, browser } = await returning();
    const oldId = browser.sid;
    rec.failWith("get", storeError("no such file", "ENOENT"), 1);
    const res = await browser.get("/write");
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ views: 1 });
    expect(res.json().sessionID).not.toBe(oldId);
    expect(h.errors).toEqual([]);
    expect(rec.methods()).toEqual(["get", "set"]);
  });

  test("get finds nothing (null): a fresh session with a new ID", async () => {
    const { rec, browser } = await returning();
    const oldId = String(browser.sid);
    await new Promise<void>((resolve) => rec.store.destroy(oldId, () => resolve()));
    rec.reset();
    const res = await browser.get("/write");
    expect(res.json()).toMatchObject({ views: 1 });
    expect(browser.sid).not.toBe(oldId);
    expect(rec.calls.map((c) => c.method)).toEqual(["get", "set"]);
  });

  const atTheEnd: Array<[string, StoreMethod, string, { unset?: string; resave?: boolean }]> = [
    ["set (a changed session)", "set", "/write", {}],
    ["touch (an unchanged session)", "touch", "/read", {}],
    ["destroy (unset: destroy)", "destroy", "/unset", { unset: "destroy" }],
  ];

  test.each(atTheEnd)(
    "%s fails at the end: the response completes, the error is reported",
    async (_what, method, path, options) => {
      const { rec, h, browser } = await returning(options);
      const err = storeError(`${method} failed`);
      rec.failWith(method, err, 1);
      const res = await browser.get(path);
      expect(res.status).toBe(200);
      if (path !== "/unset") expect(res.json<RouteSnapshot>().hasSession).toBe(true);
      else expect(res.body).toBe("unset");
      expect(rec.methods()).toEqual(["get", method]);
      // Reported through next(err) once the response is out (the app's error handler sees it).
      await vi.waitFor(() => expect(h.errors).toEqual([err]));
      // The server is fine afterwards.
      expect((await h.get("/write")).status).toBe(200);
    },
  );

  test.each([
    ["save", "/save", "set"],
    ["regenerate", "/regenerate", "destroy"],
    ["destroy", "/destroy", "destroy"],
  ] as const)("%s(cb) hands the store error to its callback", async (_m, path, method) => {
    const { rec, h, browser } = await returning();
    const err = storeError(`${method} exploded`);
    rec.failWith(method, err, 1);
    const res = await browser.get(path);
    expect(res.status).toBe(500);
    expect(h.errors[0]).toBe(err);
  });

  test("reload(cb) hands a get error to its callback", async () => {
    const { rec, browser } = await returning();
    const err = storeError("get exploded");
    const realGet = rec.store.get;
    let n = 0;
    rec.store.get = (sid, cb) => {
      n += 1;
      if (n === 2) setImmediate(() => cb(err));
      else realGet(sid, cb);
    };
    const res = await browser.get("/reload");
    expect(res.status).toBe(500);
    expect(res.json().reloadError).toBe(String(err));
  });
});

describe.each(implementations)("%s: a corrupt stored session (no cookie)", (_name, impl) => {
  // Documented divergence: express-session crashes rebuilding the Cookie and answers 500;
  // ours treats the record as unusable and starts a fresh session.
  test("express-session: 500; ours: a fresh session", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store } });
    await new Promise<void>((resolve) => rec.store.set("corrupt", { views: 3 }, () => resolve()));
    const res = await h.get("/write", { cookie: signedCookie("corrupt") });
    if (impl.name === "express-session") {
      expect(res.status).toBe(500);
    } else {
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ views: 1 });
      expect(res.json().sessionID).not.toBe("corrupt");
    }
  });
});

describe.each(implementations)("%s: a store that disconnects", (_name, impl) => {
  test("while disconnected requests pass with no req.session; after connect all is back", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store, saveUninitialized: true } });
    const browser = h.browser();
    await browser.get("/write");
    rec.reset();

    rec.store.emit("disconnect");
    const down = await browser.get("/read");
    expect(down.status).toBe(200);
    expect(down.json()).toMatchObject({ hasSession: false });
    expect(down.sessionCookie()).toBeUndefined();
    const newcomer = await h.get("/read");
    expect(newcomer.json()).toMatchObject({ hasSession: false });
    expect(newcomer.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual([]);

    rec.store.emit("connect");
    const up = await browser.get("/write");
    expect(up.json()).toMatchObject({ hasSession: true, views: 2 });
    expect(rec.methods()).toEqual(["get", "set"]);
  });
});

describe.each(implementations)("%s: genid fails", (_name, impl) => {
  test("a genid that throws is an error for that request (500), not a crash", async () => {
    let fail = true;
    const h = await startHarness({
      impl,
      options: {
        genid: () => {
          if (fail) throw new Error("no entropy");
          return "fine-id";
        },
      },
    });
    const res = await h.get("/write");
    expect(res.status).toBe(500);
    expect(String((h.errors[0] as Error).message)).toBe("no entropy");
    fail = false;
    expect((await h.get("/write")).json().sessionID).toBe("fine-id");
  });
});

describe.each(implementations)("%s: an error while setting the cookie", (_name, impl) => {
  // The app sets a cookie attribute the cookie cannot be written with. The response still goes
  // out (without the cookie), the error reaches next(err), and the process carries on.
  test.each<[string, (cookie: Record<string, unknown>) => void, RegExp]>([
    ["an invalid cookie.expires", (c) => (c.expires = new Date(Number.NaN)), /expires/],
    ["a cookie.domain with a space", (c) => (c.domain = "bad domain"), /domain/],
  ])("%s: the response completes, the error goes to next(err)", async (_what, spoil, message) => {
    const h = await startHarness({
      impl,
      routes: (app) =>
        app.get("/spoil", (req: Request, res) => {
          const session = sess(req).session;
          if (!session) throw new Error("no session");
          session.views = 1;
          spoil(session.cookie as unknown as Record<string, unknown>);
          res.end("spoiled");
        }),
    });
    const res = await h.get("/spoil");
    expect(res.status).toBe(200);
    expect(res.body).toBe("spoiled");
    expect(res.sessionCookie()).toBeUndefined();
    await vi.waitFor(() => expect(h.errors).toHaveLength(1));
    expect(String((h.errors[0] as Error).message)).toMatch(message);
    // The server still answers.
    expect((await h.get("/write")).status).toBe(200);
  });
});

describe.each(implementations)("%s: a store that throws instead of calling back", (_name, impl) => {
  test("get throws: that request fails with the error (500), the next one is served", async () => {
    const store = new impl.session.MemoryStore();
    const h = await startHarness({ impl, options: { store } });
    const browser = h.browser();
    await browser.get("/write");
    const get = store.get;
    store.get = () => {
      throw new Error("get exploded");
    };
    const res = await browser.get("/write");
    expect(res.status).toBe(500);
    expect(res.json().error).toBe("get exploded");
    store.get = get;
    expect((await browser.get("/write")).json().views).toBe(2);
  });
});

describe("ours [beyond]: nothing a store does at the end throws past the middleware", () => {
  const impl = ours();

  // A loaded session is written with the store's [beyond] `update`, a new one with `set`.
  test.each(["set", "update", "touch"] as const)(
    "%s throws: the response completes, the error goes to next(err)",
    async (method) => {
      const store = new impl.session.MemoryStore();
      const h = await startHarness({ impl, options: { store } });
      const browser = h.browser();
      if (method !== "set") await browser.get("/write");
      (store as unknown as Record<string, unknown>)[method] = () => {
        throw new Error(`${method} exploded`);
      };
      const res = await browser.get(method === "touch" ? "/read" : "/write");
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ hasSession: true });
      await vi.waitFor(() => expect(h.errors).toHaveLength(1));
      expect(String((h.errors[0] as Error).message)).toBe(`${method} exploded`);
    },
  );

  test("session data JSON cannot write: the response goes out unsaved, the error to next(err)", async () => {
    const h = await startHarness({
      impl,
      routes: (app) =>
        app.get("/bigint", (req: Request, res) => {
          const session = sess(req).session;
          if (session) session.big = 1n;
          res.end("sent");
        }),
    });
    const res = await h.get("/bigint");
    expect(res.status).toBe(200);
    expect(res.body).toBe("sent");
    await vi.waitFor(() => expect(h.errors).toHaveLength(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toBeInstanceOf(TypeError);
  });
});
