import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import onHeaders from "on-headers";
import { describe, expect, onTestFinished, test } from "vitest";
import {
  type RouteSnapshot,
  SECRET,
  send,
  startHarness,
  wait,
} from "../helpers/session-harness.js";
import { type Impl, implementations, type SessionRequest } from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";

// What happens at the end of a request: unsetting req.session, responses whose headers left
// before the session changed, streamed and Content-Length bodies, two requests racing on one
// session, and the middleware outside Express.

describe.each(implementations)("%s: unset", (_name, impl) => {
  async function setup(unset?: string) {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, unset, rolling: true, cookie: { maxAge: 60_000 } },
    });
    const browser = h.browser();
    await browser.get("/write");
    const cookie = browser.cookie;
    const id = browser.sid;
    rec.reset();
    return { rec, h, browser, cookie, id };
  }

  test.each([
    ["req.session = null", "/unset"],
    ["delete req.session", "/unset?how=delete"],
  ])('unset: "destroy" + %s deletes the session from the store', async (_how, path) => {
    const { rec, h, browser, cookie, id } = await setup("destroy");
    const res = await browser.get(path);
    expect(res.status).toBe(200);
    expect(res.body).toBe("unset");
    expect(res.sessionCookie()).toBeUndefined();
    expect(rec.calls.map((c) => [c.method, c.sid])).toEqual([
      ["get", id],
      ["destroy", id],
    ]);
    const after = (await h.get("/read", { cookie })).json();
    expect(after).toMatchObject({ views: null });
    expect(after.sessionID).not.toBe(id);
  });

  test('unset: "destroy" for a new visitor destroys the ID just generated', async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store, unset: "destroy" } });
    const res = await h.get("/unset");
    expect(res.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["destroy"]);
  });

  test.each([
    ['unset: "keep"', "keep"],
    ["unset not given (keep is the default)", undefined],
  ])(
    "%s: the stored session stays as it was, this request's changes are dropped",
    async (_w, unset) => {
      const { rec, h, cookie, id } = await setup(unset);
      const res = await h.get("/unset?write=1", { cookie });
      expect(res.sessionCookie()).toBeUndefined();
      expect(rec.calls.map((c) => [c.method, c.sid])).toEqual([["get", id]]);
      const after = (await h.get("/read", { cookie })).json();
      expect(after).toMatchObject({ sessionID: id, views: 1 });
    },
  );

  test("an invalid unset value is a TypeError at session()", () => {
    expect(() =>
      impl.session({ secret: SECRET, resave: false, saveUninitialized: false, unset: "forget" }),
    ).toThrow(TypeError);
  });
});

describe.each(implementations)("%s: the response and the store write", (_name, impl) => {
  test("headers already sent when the session changes: no Set-Cookie, but the store is saved", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store } });
    const res = await h.get("/headers-sent");
    expect(res.status).toBe(200);
    expect(res.body).toBe("sent");
    expect(res.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["set"]);
    expect(rec.calls[0]?.session?.views).toBe(1);
    expect(h.errors).toEqual([]);
  });

  test("headers already sent for a returning visitor: saved, no new cookie", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, cookie: { maxAge: 60_000 } },
    });
    const browser = h.browser();
    await browser.get("/write");
    rec.reset();
    const res = await browser.get("/headers-sent");
    expect(res.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["get", "set"]);
    expect((await browser.get("/read")).json().views).toBe(2);
  });

  test("a streamed body arrives whole and the change made mid-stream is saved", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store, saveUninitialized: true } });
    const res = await h.get("/stream");
    expect(res.body).toBe("abc");
    // saveUninitialized: the cookie went out with the first chunk.
    expect(res.sessionCookie()).toBeDefined();
    expect(rec.methods()).toEqual(["set"]);
    expect(rec.calls[0]?.session?.views).toBe(1);
  });

  test("a body with Content-Length arrives whole, after the store answered", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    rec.delay("set", 100);
    const h = await startHarness({ impl, options: { store: rec.store } });
    const browser = h.browser();
    const res = await browser.get("/content-length");
    expect(res.headers["content-length"]).toBe("1000");
    expect(res.body).toBe("x".repeat(1000));
    expect(res.sessionCookie()).toBeDefined();
    // The response finished only once the (slow) store had the session: the next request sees it.
    expect((await browser.get("/read")).json().views).toBe(1);
  });

  test("a slow store delays the end of the response, so the next request sees the write", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    rec.delay("set", 150);
    const h = await startHarness({ impl, options: { store: rec.store } });
    const browser = h.browser();
    for (let i = 1; i <= 3; i++) expect((await browser.get("/write")).json().views).toBe(i);
  });

  test("a second session middleware on the same request passes through", async () => {
    const h = await startHarness({
      impl,
      before: (app) => {
        app.use(
          impl.session({
            secret: SECRET,
            name: "outer.sid",
            resave: false,
            saveUninitialized: false,
          }),
        );
      },
    });
    const res = await h.get("/write");
    expect(res.setCookies.map((c) => c.name)).toEqual(["outer.sid"]);
  });
});

describe.each(implementations)("%s: responses apps commonly send", (_name, impl) => {
  function appRoutes(app: Express) {
    // Login: a new session ID, the user in it, then a redirect.
    app.get("/login", (req, res, next) => {
      const s = (req as unknown as SessionRequest).session;
      s?.regenerate((err) => {
        if (err) return next(err);
        const fresh = (req as unknown as SessionRequest).session;
        if (fresh) fresh.user = "ada";
        res.redirect("/read");
      });
    });
    // A route that changes the session and then fails.
    app.get("/fails", (req) => {
      const s = (req as unknown as SessionRequest).session;
      if (s) s.views = 7;
      throw new Error("route failed");
    });
  }

  test("login then redirect: 302 carries the new cookie, and the redirected request sees the user", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store }, routes: appRoutes });
    const browser = h.browser();
    await browser.get("/write");
    const before = browser.sid;
    const res = await browser.get("/login");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/read");
    expect(browser.sid).not.toBe(before);
    const stored = await rec.peek(String(browser.sid));
    expect(stored?.user).toBe("ada");
    expect((await browser.get("/read")).json()).toMatchObject({ sessionID: browser.sid });
  });

  test("a HEAD request saves and sends the cookie like GET", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store } });
    const res = await h.get("/write", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(res.sessionCookie()).toBeDefined();
    expect(rec.methods()).toEqual(["set"]);
  });

  test("a route that changes the session then throws: the error page goes out, the change is saved", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store }, routes: appRoutes });
    const res = await h.get("/fails");
    expect(res.status).toBe(500);
    expect(res.json().error).toBe("route failed");
    expect(res.sessionCookie()).toBeDefined();
    expect(rec.methods()).toEqual(["set"]);
    expect(rec.calls[0]?.session?.views).toBe(7);
  });
});

describe.each(implementations)("%s: two requests racing on one session", (_name, impl) => {
  async function racing(resave: boolean) {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store, resave } });
    const browser = h.browser();
    await browser.get("/write");
    const cookie = browser.cookie;
    return { rec, h, cookie, sid: String(browser.sid) };
  }

  test("resave: true — a slow read-only request overwrites a concurrent change", async () => {
    const { rec, h, cookie, sid } = await racing(true);
    const slow = h.get("/slow?ms=200", { cookie });
    await wait(50);
    expect((await h.get("/write", { cookie })).json().views).toBe(2);
    await slow;
    expect((await rec.peek(sid))?.views).toBe(1);
  });

  test("resave: false — the slow read-only request only touches, the change survives", async () => {
    const { rec, h, cookie, sid } = await racing(false);
    const slow = h.get("/slow?ms=200", { cookie });
    await wait(50);
    expect((await h.get("/write", { cookie })).json().views).toBe(2);
    await slow;
    expect((await rec.peek(sid))?.views).toBe(2);
  });

  test("both change it: the request that ends last wins, whole (no merge)", async () => {
    const { rec, h, cookie, sid } = await racing(false);
    const slow = h.get("/slow?ms=200&set=flag", { cookie });
    await wait(50);
    await h.get("/write", { cookie });
    await slow;
    const stored = await rec.peek(sid);
    expect(stored?.views).toBe(1);
    expect(stored?.flag).toBe(1);
  });
});

describe.each(implementations)("%s: outside Express (plain http, req.url only)", (_name, impl) => {
  async function plainServer(impl: Impl, options: Record<string, unknown> = {}) {
    const middleware = impl.session({
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      ...options,
    });
    const server = http.createServer((req, res) => {
      middleware(req as never, res as never, (err?: unknown) => {
        if (err) {
          res.statusCode = 500;
          res.end(String(err));
          return;
        }
        const s = (req as unknown as SessionRequest).session;
        if (s && req.url?.includes("write"))
          s.views = (typeof s.views === "number" ? s.views : 0) + 1;
        const body: Partial<RouteSnapshot> = {
          hasSession: Boolean(s),
          views: typeof s?.views === "number" ? s.views : null,
        };
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  test("a session is created, sent and read back", async () => {
    const url = await plainServer(impl);
    const first = await send(`${url}/write`);
    expect(first.json()).toEqual({ hasSession: true, views: 1 });
    const cookie = first.sessionCookie()?.pair;
    expect(cookie).toBeDefined();
    expect((await send(`${url}/write`, { cookie })).json()).toEqual({ hasSession: true, views: 2 });
  });

  test("cookie.path is checked against req.url", async () => {
    const url = await plainServer(impl, { cookie: { path: "/app" } });
    expect((await send(`${url}/other/write`)).json()).toEqual({ hasSession: false, views: null });
    expect((await send(`${url}/app/write`)).json()).toEqual({ hasSession: true, views: 1 });
  });
});

// The session middleware decides on Set-Cookie at the end of the response, before the headers are
// written, instead of inside on-headers' writeHead wrapper (see app/session/index.ts). Other
// on-headers listeners must see what they saw with express-session, in the same order.
describe.each(implementations)("%s: Set-Cookie and other on-headers listeners", (_name, impl) => {
  /** Each listener writes down whether the session cookie was already set when it ran. */
  function listener(res: http.ServerResponse, label: string, seen: string[]) {
    onHeaders(res, () => {
      const header = res.getHeader("set-cookie");
      const list = Array.isArray(header) ? header : header === undefined ? [] : [String(header)];
      seen.push(`${label}:${list.some((v) => v.startsWith("connect.sid=")) ? "cookie" : "none"}`);
    });
  }

  test("listeners added before and after the session middleware run in order, once each", async () => {
    const seen: string[] = [];
    const h = await startHarness({
      impl,
      before: (app) =>
        app.use((_req, res, next) => {
          listener(res, "outer", seen);
          next();
        }),
      routes: (app) =>
        app.use((req, res, next) => {
          if (req.path === "/write") listener(res, "inner", seen);
          next();
        }),
    });
    const res = await h.get("/write");
    expect(res.sessionCookie()).toBeDefined();
    expect(res.setCookies).toHaveLength(1);
    // on-headers calls the listener added last first: "inner" before the session's, "outer" after.
    expect(seen).toEqual(["inner:none", "outer:cookie"]);
  });

  test("a session changed before the headers go out early (res.write) still gets its cookie", async () => {
    const h = await startHarness({
      impl,
      routes: (app) =>
        app.get("/write-then-stream", (req, res) => {
          const s = (req as unknown as SessionRequest).session as unknown as Record<
            string,
            unknown
          >;
          s.views = 1;
          res.setHeader("content-type", "text/plain");
          res.write("a");
          setTimeout(() => res.end("b"), 10);
        }),
    });
    const browser = h.browser();
    const res = await browser.get("/write-then-stream");
    expect(res.body).toBe("ab");
    expect(res.sessionCookie()).toBeDefined();
    expect((await browser.get("/read")).json().views).toBe(1);
  });

  test("a returning visitor gets no Set-Cookie until the session changes, then the new expiry", async () => {
    const h = await startHarness({ impl, options: { cookie: { maxAge: 60_000 } } });
    const browser = h.browser();
    await browser.get("/write");
    expect((await browser.get("/read")).sessionCookie()).toBeUndefined();
    const res = await browser.get("/set-maxage?ms=120000&write=1");
    const expires = res.sessionCookie()?.expires?.valueOf() ?? 0;
    expect(expires).toBeGreaterThan(Date.now() + 100_000);
  });
});
