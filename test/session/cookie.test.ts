import { afterEach, describe, expect, test, vi } from "vitest";
import { rawRequest } from "../helpers/raw-http.js";
import { aboutMs, startHarness } from "../helpers/session-harness.js";
import { type AnySessionOptions, implementations } from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";

// The session cookie as the browser receives it (Set-Cookie attributes) and as the store keeps
// it (cookie JSON), and the Cookie class itself. Expectations are express-session's output.

const DAY = 24 * 60 * 60 * 1000;

describe.each(implementations)("%s: Set-Cookie attributes", (_name, impl) => {
  async function firstCookie(cookie: AnySessionOptions["cookie"], path = "/write") {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, cookie },
      mounts: ["/", "/admin"],
    });
    const res = await h.get(path);
    return { res, set: res.sessionCookie(), stored: rec.calls[0]?.session?.cookie };
  }

  const cases: Array<[string, AnySessionOptions["cookie"], string, Record<string, unknown>]> = [
    [
      "defaults: Path=/ and HttpOnly, no expiry (a browser-session cookie)",
      undefined,
      "connect.sid=<value>; Path=/; HttpOnly",
      { originalMaxAge: null, expires: null, httpOnly: true, path: "/" },
    ],
    [
      "domain",
      { domain: "example.com" },
      "connect.sid=<value>; Domain=example.com; Path=/; HttpOnly",
      { originalMaxAge: null, expires: null, httpOnly: true, domain: "example.com", path: "/" },
    ],
    [
      "httpOnly: false",
      { httpOnly: false },
      "connect.sid=<value>; Path=/",
      { originalMaxAge: null, expires: null, httpOnly: false, path: "/" },
    ],
    [
      "sameSite: true is Strict",
      { sameSite: true },
      "connect.sid=<value>; Path=/; HttpOnly; SameSite=Strict",
      { originalMaxAge: null, expires: null, httpOnly: true, path: "/", sameSite: true },
    ],
    [
      "sameSite: 'lax'",
      { sameSite: "lax" },
      "connect.sid=<value>; Path=/; HttpOnly; SameSite=Lax",
      { originalMaxAge: null, expires: null, httpOnly: true, path: "/", sameSite: "lax" },
    ],
    [
      "sameSite: 'strict'",
      { sameSite: "strict" },
      "connect.sid=<value>; Path=/; HttpOnly; SameSite=Strict",
      { originalMaxAge: null, expires: null, httpOnly: true, path: "/", sameSite: "strict" },
    ],
    [
      "sameSite: 'none'",
      { sameSite: "none" },
      "connect.sid=<value>; Path=/; HttpOnly; SameSite=None",
      { originalMaxAge: null, expires: null, httpOnly: true, path: "/", sameSite: "none" },
    ],
    [
      "sameSite: false sends no SameSite",
      { sameSite: false },
      "connect.sid=<value>; Path=/; HttpOnly",
      { originalMaxAge: null, expires: null, httpOnly: true, path: "/", sameSite: false },
    ],
    [
      "partitioned",
      { partitioned: true },
      "connect.sid=<value>; Path=/; HttpOnly; Partitioned",
      { originalMaxAge: null, partitioned: true, expires: null, httpOnly: true, path: "/" },
    ],
    [
      "priority: 'high'",
      { priority: "high" },
      "connect.sid=<value>; Path=/; HttpOnly; Priority=High",
      { originalMaxAge: null, priority: "high", expires: null, httpOnly: true, path: "/" },
    ],
    [
      "priority: 'low'",
      { priority: "low" },
      "connect.sid=<value>; Path=/; HttpOnly; Priority=Low",
      { originalMaxAge: null, priority: "low", expires: null, httpOnly: true, path: "/" },
    ],
    [
      "secure: false",
      { secure: false },
      "connect.sid=<value>; Path=/; HttpOnly",
      { originalMaxAge: null, expires: null, secure: false, httpOnly: true, path: "/" },
    ],
    [
      "maxAge gives an Expires",
      { maxAge: 60_000 },
      "connect.sid=<value>; Path=/; Expires=<date>; HttpOnly",
      { originalMaxAge: aboutMs(60_000), expires: "<date>", httpOnly: true, path: "/" },
    ],
    [
      "everything at once",
      {
        domain: "example.com",
        path: "/admin",
        maxAge: 60_000,
        httpOnly: true,
        sameSite: "lax",
        partitioned: true,
        priority: "medium",
      },
      "connect.sid=<value>; Domain=example.com; Path=/admin; Expires=<date>; HttpOnly; Partitioned; Priority=Medium; SameSite=Lax",
      {
        originalMaxAge: aboutMs(60_000),
        partitioned: true,
        priority: "medium",
        expires: "<date>",
        httpOnly: true,
        domain: "example.com",
        path: "/admin",
        sameSite: "lax",
      },
    ],
  ];

  test.each(cases)("%s", async (_what, cookie, header, stored) => {
    const path = cookie?.path === "/admin" ? "/admin/write" : "/write";
    const { set, stored: got } = await firstCookie(cookie, path);
    expect(set?.masked).toBe(header);
    const masked = { ...got };
    if (typeof masked.expires === "string") masked.expires = "<date>";
    expect(masked).toEqual(stored);
  });

  test("maxAge: Expires is now + maxAge and the stored expiry matches it", async () => {
    const before = Date.now();
    const { set, stored } = await firstCookie({ maxAge: 60_000 });
    const expires = set?.expires?.getTime() ?? 0;
    // Expires has a one-second resolution.
    expect(expires).toBeGreaterThanOrEqual(Math.floor((before + 60_000) / 1000) * 1000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(Math.floor(new Date(String(stored?.expires)).getTime() / 1000) * 1000).toBe(expires);
  });

  test("expires then maxAge in the options: maxAge, defined last, wins", async () => {
    const far = new Date(Date.now() + 2 * DAY);
    const { set, stored } = await firstCookie({ expires: far, maxAge: 60_000 });
    const expires = set?.expires?.getTime() ?? 0;
    expect(Math.abs(expires - (Date.now() + 60_000))).toBeLessThan(5_000);
    expect(stored?.originalMaxAge).toEqual(aboutMs(60_000));
  });

  test("maxAge then expires in the options: expires, defined last, wins", async () => {
    const far = new Date(Date.now() + 2 * DAY);
    const { set, stored } = await firstCookie({ maxAge: 60_000, expires: far });
    const expires = set?.expires?.getTime() ?? 0;
    expect(Math.abs(expires - far.getTime())).toBeLessThan(5_000);
    expect(Math.abs(Number(stored?.originalMaxAge) - 2 * DAY)).toBeLessThan(5_000);
  });

  test("a cookie the app sets on the same response is kept next to the session cookie", async () => {
    const h = await startHarness({
      impl,
      routes: (app) => {
        app.get("/login-page", (req, res) => {
          res.cookie("theme", "dark");
          res.setHeader("Set-Cookie", [
            ...([res.getHeader("Set-Cookie")].flat() as string[]),
            "lang=en",
          ]);
          (req as unknown as { session: { views: number } }).session.views = 1;
          res.send("ok");
        });
      },
    });
    const res = await h.get("/login-page");
    expect(res.setCookies.map((c) => c.name)).toEqual(["theme", "lang", "connect.sid"]);
  });
});

describe.each(implementations)("%s: one session's cookie changed by the app", (_name, impl) => {
  test("README: cookie.expires = false makes a browser-session cookie, kept across requests", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, rolling: true, cookie: { maxAge: 60_000 } },
      routes: (app) =>
        app.get("/forget-me", (req, res) => {
          const s = (
            req as unknown as { session: { cookie: { expires: unknown }; views?: number } }
          ).session;
          s.cookie.expires = false;
          s.views = 1;
          res.send("ok");
        }),
    });
    const browser = h.browser();
    const res = await browser.get("/forget-me");
    expect(res.sessionCookie()?.masked).toBe("connect.sid=<value>; Path=/; HttpOnly");
    expect(rec.calls[0]?.session?.cookie?.expires).toBe(false);
    const next = await browser.get("/read");
    expect(next.json().views).toBe(1);
    expect(next.sessionCookie()?.masked).toBe("connect.sid=<value>; Path=/; HttpOnly");
  });
});

describe.each(implementations)("%s: cookie.path scopes the session", (_name, impl) => {
  test("outside cookie.path there is no session, no cookie and no store call", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, cookie: { path: "/admin" }, saveUninitialized: true },
      mounts: ["/", "/admin"],
      routes: (app) =>
        app.get("/public/info", (req, res) => {
          res.json({ hasSession: Boolean((req as unknown as { session?: object }).session) });
        }),
    });
    const res = await h.get("/public/info");
    expect(res.json()).toEqual({ hasSession: false });
    expect(res.setCookies).toEqual([]);
    expect(rec.methods()).toEqual([]);

    // Even with a valid cookie for a session in the store.
    const admin = await h.get("/admin/write");
    expect(admin.sessionCookie()?.attributes.path).toBe("/admin");
    rec.reset();
    const outside = await h.get("/public/info", { cookie: admin.sessionCookie()?.pair });
    expect(outside.json()).toEqual({ hasSession: false });
    expect(rec.methods()).toEqual([]);
  });

  test("under cookie.path (and with a query string) the session works", async () => {
    const h = await startHarness({
      impl,
      options: { cookie: { path: "/admin" } },
      mounts: ["/admin"],
    });
    const browser = h.browser();
    await browser.get("/admin/write?x=1");
    expect((await browser.get("/admin/read")).json()).toMatchObject({ views: 1 });
  });

  test("mounted in a router under cookie.path, the full original URL is what counts", async () => {
    const express = (await import("express")).default;
    const h = await startHarness({
      impl,
      middleware: (_req, _res, next) => next(),
      routes: (app) => {
        const admin = express.Router();
        admin.use(
          impl.session({
            secret: "keyboard cat",
            resave: false,
            saveUninitialized: false,
            cookie: { path: "/admin" },
          }),
        );
        admin.get("/visit", (req, res) => {
          const s = (req as unknown as { session?: { views?: number } }).session;
          if (s) s.views = (s.views ?? 0) + 1;
          res.json({ hasSession: Boolean(s), url: req.url });
        });
        app.use("/admin", admin);
      },
    });
    const res = await h.get("/admin/visit");
    expect(res.json()).toEqual({ hasSession: true, url: "/visit" });
    expect(res.sessionCookie()?.attributes.path).toBe("/admin");
  });

  test("a request target that is not a path (OPTIONS *) is outside even cookie.path /", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store, saveUninitialized: true } });
    const res = await rawRequest(h.url, { method: "OPTIONS", path: "*" });
    expect(res.setCookies).toEqual([]);
    expect(rec.methods()).toEqual([]);
    // An absolute-form target has a path, and so a session.
    const absolute = await rawRequest(h.url, { method: "GET", path: `${h.url}/write` });
    expect(absolute.status).toBe(200);
    expect(absolute.setCookies).toHaveLength(1);
  });

  test("cookie.path is matched as a string prefix: /administrator is under /admin", async () => {
    const h = await startHarness({
      impl,
      options: { cookie: { path: "/admin" } },
      mounts: ["/administrator"],
    });
    const res = await h.get("/administrator/write");
    expect(res.json()).toMatchObject({ hasSession: true, views: 1 });
    expect(res.sessionCookie()?.attributes.path).toBe("/admin");
  });
});

describe.each(implementations)("%s: the Cookie class", (_name, impl) => {
  const { Cookie } = impl.session;
  const T0 = Date.UTC(2030, 0, 1);

  afterEach(() => {
    vi.useRealTimers();
  });

  function freeze() {
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
  }

  test("defaults: path /, httpOnly, no expiry, maxAge and originalMaxAge null", () => {
    const c = new Cookie();
    expect([c.path, c.httpOnly, c.expires, c.maxAge, c.originalMaxAge]).toEqual([
      "/",
      true,
      null,
      null,
      null,
    ]);
    expect(JSON.parse(JSON.stringify(c))).toEqual({
      originalMaxAge: null,
      expires: null,
      httpOnly: true,
      path: "/",
    });
  });

  test("maxAge reads as the milliseconds left and counts down", () => {
    freeze();
    const c = new Cookie({ maxAge: 1000 });
    expect(c.maxAge).toBe(1000);
    expect(c.originalMaxAge).toBe(1000);
    expect(c.expires).toEqual(new Date(T0 + 1000));
    vi.setSystemTime(T0 + 400);
    expect(c.maxAge).toBe(600);
    expect(c.originalMaxAge).toBe(1000);
  });

  test("assigning maxAge moves expires and becomes the new originalMaxAge", () => {
    freeze();
    const c = new Cookie({ maxAge: 1000 });
    vi.setSystemTime(T0 + 100);
    c.maxAge = 5000;
    expect(c.expires).toEqual(new Date(T0 + 100 + 5000));
    expect(c.maxAge).toBe(5000);
    expect(c.originalMaxAge).toBe(5000);
  });

  test("assigning expires sets maxAge accordingly; null makes a browser-session cookie", () => {
    freeze();
    const c = new Cookie({ maxAge: 1000 });
    c.expires = new Date(T0 + 7000);
    expect(c.maxAge).toBe(7000);
    expect(c.originalMaxAge).toBe(7000);
    c.expires = null;
    expect(c.maxAge).toBeNull();
    expect(c.originalMaxAge).toBeNull();
  });

  test("a Date assigned to maxAge is taken as the expiry (deprecated form)", () => {
    freeze();
    const c = new Cookie();
    c.maxAge = new Date(T0 + 3000) as unknown as number;
    expect(c.expires).toEqual(new Date(T0 + 3000));
    expect(c.maxAge).toBe(3000);
  });

  test("of expires and maxAge in the options, the one defined last wins", () => {
    freeze();
    const later = new Date(T0 + 9000);
    expect(new Cookie({ expires: later, maxAge: 1000 }).expires).toEqual(new Date(T0 + 1000));
    const c = new Cookie({ maxAge: 1000, expires: later });
    expect(c.expires).toEqual(later);
    expect(c.originalMaxAge).toBe(9000);
  });

  test("an explicit originalMaxAge is kept (a cookie rebuilt from the store)", () => {
    freeze();
    const c = new Cookie({ originalMaxAge: 60_000, expires: new Date(T0 + 30_000) });
    // express-session keeps originalMaxAge only when it comes after expires...
    const d = new Cookie({ expires: new Date(T0 + 30_000), originalMaxAge: 60_000 });
    expect(d.originalMaxAge).toBe(60_000);
    expect(d.maxAge).toBe(30_000);
    // ...and recomputes it when expires comes last.
    expect(c.originalMaxAge).toBe(30_000);
  });

  test("bad values are TypeErrors", () => {
    expect(() => new Cookie("nope")).toThrow(TypeError);
    const c = new Cookie();
    expect(() => {
      c.maxAge = "soon" as unknown as number;
    }).toThrow(TypeError);
  });

  test("toJSON keeps what a store needs; data has the same attributes", () => {
    freeze();
    const c = new Cookie({
      maxAge: 1000,
      domain: "example.com",
      path: "/p",
      secure: true,
      sameSite: "strict",
      partitioned: true,
      priority: "high",
      httpOnly: false,
    });
    const json = JSON.parse(JSON.stringify(c));
    expect(json).toEqual({
      originalMaxAge: 1000,
      partitioned: true,
      priority: "high",
      expires: new Date(T0 + 1000).toISOString(),
      secure: true,
      httpOnly: false,
      domain: "example.com",
      path: "/p",
      sameSite: "strict",
    });
    expect(c.data).toMatchObject({ ...json, expires: new Date(T0 + 1000) });
    expect(c.toJSON()).toEqual(c.data);
  });

  test("serialize(name, value) writes a Set-Cookie value with the attributes", () => {
    freeze();
    const c = new Cookie({ maxAge: 1000, domain: "example.com", secure: true, sameSite: "lax" });
    expect(c.serialize("sid", "a b")).toBe(
      "sid=a%20b; Domain=example.com; Path=/; Expires=Tue, 01 Jan 2030 00:00:01 GMT; HttpOnly; Secure; SameSite=Lax",
    );
    expect(new Cookie().serialize("sid", "v")).toBe("sid=v; Path=/; HttpOnly");
  });
});

// Documented in express-session 1.19's README (not in the older seed README): a cookie option
// computed per request, and sameSite: "auto". An app on 1.19 using either must keep working.
describe.each(implementations)("%s: express-session 1.19 cookie additions", (_name, impl) => {
  test("cookie may be a function of the request", async () => {
    const h = await startHarness({
      impl,
      options: {
        cookie: ((req: { headers: Record<string, string | undefined> }) => ({
          path: "/",
          httpOnly: true,
          maxAge: req.headers["x-remember-me"] ? 30 * DAY : 60_000,
        })) as unknown as Record<string, unknown>,
      },
    });
    const short = (await h.get("/write")).sessionCookie()?.expires?.getTime() ?? 0;
    const long =
      (await h.get("/write", { headers: { "x-remember-me": "1" } }))
        .sessionCookie()
        ?.expires?.getTime() ?? 0;
    expect(Math.abs(short - (Date.now() + 60_000))).toBeLessThan(5_000);
    expect(Math.abs(long - (Date.now() + 30 * DAY))).toBeLessThan(5_000);
  });

  test("README example: the cookie path computed from the URL scopes each app's session", async () => {
    const h = await startHarness({
      impl,
      mounts: ["/shop", "/blog"],
      options: {
        cookie: ((req: { url: string }) => {
          const match = req.url.match(/^\/([^/]+)/);
          return { path: match ? `/${match[1]}` : "/", httpOnly: true, maxAge: 60_000 };
        }) as unknown as Record<string, unknown>,
      },
    });
    const shop = h.browser();
    const res = await shop.get("/shop/write");
    expect(res.sessionCookie()?.attributes.path).toBe("/shop");
    expect((await shop.get("/shop/write")).json().views).toBe(2);
    const blog = await h.get("/blog/write");
    expect(blog.sessionCookie()?.attributes.path).toBe("/blog");
  });

  test("a function's path is also the scope: outside it there is no session", async () => {
    const h = await startHarness({
      impl,
      mounts: ["/admin", "/public"],
      options: { cookie: (() => ({ path: "/admin" })) as unknown as Record<string, unknown> },
    });
    expect((await h.get("/public/read")).json().hasSession).toBe(false);
    expect((await h.get("/admin/read")).json().hasSession).toBe(true);
  });

  test("sameSite: 'auto' is Lax over HTTP and None over HTTPS", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      trustProxy: 1,
      options: { store: rec.store, cookie: { sameSite: "auto", secure: "auto" } },
    });
    const plain = await h.get("/write");
    expect(plain.sessionCookie()?.masked).toBe(
      "connect.sid=<value>; Path=/; HttpOnly; SameSite=Lax",
    );
    const secure = await h.get("/write", { headers: { "x-forwarded-proto": "https" } });
    expect(secure.sessionCookie()?.masked).toBe(
      "connect.sid=<value>; Path=/; HttpOnly; Secure; SameSite=None",
    );
    expect(rec.calls.map((c) => c.session?.cookie?.sameSite)).toEqual(["lax", "none"]);
  });
});
