import type { Request } from "express";
import { describe, expect, test } from "vitest";
import { SECRET, sess, startHarness } from "../helpers/session-harness.js";
import { type AnySessionOptions, implementations } from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";
import { warningsDuring } from "../helpers/warnings.js";

// The options object: defaults, validation at session(), and the options not covered by a file
// of their own (genid, store, name/key).

describe.each(implementations)("%s: defaults", (_name, impl) => {
  // First in this block: both implementations warn once per process (or per call site).
  test("resave and saveUninitialized left out: a deprecation warning names each", () => {
    const messages = warningsDuring(() => impl.session({ secret: SECRET }));
    expect(messages.some((m) => /resave/.test(m))).toBe(true);
    expect(messages.some((m) => /saveUninitialized/.test(m))).toBe(true);
  });

  test("resave and saveUninitialized default to true; rolling to false", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      exactOptions: true,
      options: { secret: SECRET, store: rec.store },
    });
    // saveUninitialized: an untouched new session is saved and gets a cookie.
    const first = await h.get("/noop");
    expect(first.sessionCookie()?.masked).toBe("connect.sid=<value>; Path=/; HttpOnly");
    expect(rec.methods()).toEqual(["set"]);
    rec.reset();
    // resave: an unchanged session is saved again; not rolling: no cookie.
    const again = await h.get("/read", { cookie: first.sessionCookie()?.pair });
    expect(again.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["get", "set"]);
  });

  test("the default store is a MemoryStore exposed as req.sessionStore", async () => {
    const h = await startHarness({
      impl,
      routes: (app) =>
        app.get("/store", (req: Request, res) => {
          res.json({ memory: sess(req).sessionStore instanceof impl.session.MemoryStore });
        }),
    });
    expect((await h.get("/store")).json()).toEqual({ memory: true });
  });

  test("each middleware gets its own default store", async () => {
    const a = await startHarness({ impl });
    const b = await startHarness({ impl });
    const cookie = (await a.get("/write")).sessionCookie()?.pair;
    expect((await b.get("/read", { cookie })).json().views).toBeNull();
  });
});

describe.each(implementations)("%s: validation at session()", (_name, impl) => {
  const base: AnySessionOptions = { secret: SECRET, resave: false, saveUninitialized: false };

  test.each<[string, AnySessionOptions]>([
    ["an empty secret array", { secret: [] }],
    ["a genid that is not a function", { genid: "uuid" as unknown as () => string }],
    ['unset other than "keep"/"destroy"', { unset: "drop" }],
  ])("%s is a TypeError", (_what, bad) => {
    expect(() => impl.session({ ...base, ...bad })).toThrow(TypeError);
  });

  test.each<[string, AnySessionOptions]>([
    ["a secret array", { secret: ["a", "b"] }],
    ['unset: "keep"', { unset: "keep" }],
    ['unset: "destroy"', { unset: "destroy" }],
    ["proxy: true", { proxy: true }],
    ["proxy: false", { proxy: false }],
    [
      "a full cookie",
      { cookie: { maxAge: 1000, sameSite: "lax", secure: "auto", priority: "low" } },
    ],
  ])("%s is accepted", (_what, good) => {
    expect(() => impl.session({ ...base, ...good })).not.toThrow();
  });

  // express-session checks the other options before the secret: a bad one is reported as
  // itself whatever else is missing (the missing-secret cases are in cookie-parser.test.ts).
  test.each<[string, AnySessionOptions, RegExp]>([
    ["a genid that is not a function", { genid: "uuid" as unknown as () => string }, /genid/],
    ['unset other than "keep"/"destroy"', { unset: "drop" }, /unset/],
    ["a genid and an unset both bad", { genid: 1 as never, unset: "drop" }, /genid/],
  ])("%s, and no secret: a TypeError naming that option", (_what, bad, named) => {
    const noSecret = { resave: false, saveUninitialized: false, ...bad };
    expect(() => impl.session(noSecret)).toThrow(TypeError);
    expect(() => impl.session(noSecret)).toThrow(named);
  });

  test("an empty secret array with a bad genid: the genid is reported", () => {
    expect(() => impl.session({ ...base, secret: [], genid: 1 as never })).toThrow(/genid/);
  });
});

describe.each(implementations)("%s: genid, name", (_name, impl) => {
  test("genid is given the request and names every new session", async () => {
    let n = 0;
    const h = await startHarness({
      impl,
      options: { genid: ((req: Request) => `${req.get("x-tenant")}-${++n}`) as never },
    });
    const res = await h.get("/write", { headers: { "x-tenant": "acme" } });
    expect(res.json().sessionID).toBe("acme-1");
    const browser = h.browser();
    await browser.get("/write", { headers: { "x-tenant": "globex" } });
    expect(browser.sid).toBe("globex-2");
    // A returning visitor keeps their ID: genid is not called again.
    await browser.get("/write");
    expect(n).toBe(2);
  });

  test("legacy `key` option (connect-era alias of name) names the cookie", async () => {
    const h = await startHarness({ impl, options: { key: "legacy.sid" } });
    const res = await h.get("/write");
    expect(res.setCookies.map((c) => c.name)).toEqual(["legacy.sid"]);
  });

  test("name wins over key", async () => {
    const h = await startHarness({ impl, options: { key: "legacy.sid", name: "new.sid" } });
    const res = await h.get("/write");
    expect(res.setCookies.map((c) => c.name)).toEqual(["new.sid"]);
  });
});
