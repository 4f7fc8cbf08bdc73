import { describe, expect, test } from "vitest";
import { type HttpResult, startHarness, wait } from "../helpers/session-harness.js";
import { type Impl, implementations } from "../helpers/session-impls.js";
import { recordStore, type StoreMethod } from "../helpers/session-recording-store.js";

// When does a request write to the store, and when does the response carry a Set-Cookie?
// Every combination of saveUninitialized x resave x rolling, with and without cookie.maxAge,
// for the four visitors every site has. The expectations are express-session's behaviour
// (this file passes against it), so ours must match it exactly.

interface Config {
  saveUninitialized: boolean;
  resave: boolean;
  rolling: boolean;
  maxAge: number | null;
}

interface Outcome {
  setCookie: boolean;
  store: StoreMethod[];
}

type Visitor =
  | "new visitor, page ignores the session"
  | "new visitor who writes"
  | "returning visitor who reads"
  | "returning visitor who writes";

/** express-session's rules, in words. */
function expected(visitor: Visitor, c: Config): Outcome {
  switch (visitor) {
    // An untouched new session is "uninitialized": saved and sent only with saveUninitialized.
    case "new visitor, page ignores the session":
      return { setCookie: c.saveUninitialized, store: c.saveUninitialized ? ["set"] : [] };
    // A modified new session is always saved and sent.
    case "new visitor who writes":
      return { setCookie: true, store: ["set"] };
    // Unchanged: saved again only with resave, otherwise touched; the cookie is re-sent only
    // when rolling.
    case "returning visitor who reads":
      return { setCookie: c.rolling, store: c.resave ? ["get", "set"] : ["get", "touch"] };
    // Changed: saved; the cookie is re-sent when rolling or when it has an expiry to extend.
    case "returning visitor who writes":
      return { setCookie: c.rolling || c.maxAge !== null, store: ["get", "set"] };
  }
}

const visitors: Visitor[] = [
  "new visitor, page ignores the session",
  "new visitor who writes",
  "returning visitor who reads",
  "returning visitor who writes",
];

const configs: Config[] = [];
for (const saveUninitialized of [false, true])
  for (const resave of [false, true])
    for (const rolling of [false, true])
      for (const maxAge of [null, 60_000])
        configs.push({ saveUninitialized, resave, rolling, maxAge });

async function visit(impl: Impl, visitor: Visitor, c: Config) {
  const rec = recordStore(new impl.session.MemoryStore());
  const h = await startHarness({
    impl,
    options: {
      store: rec.store,
      saveUninitialized: c.saveUninitialized,
      resave: c.resave,
      rolling: c.rolling,
      cookie: c.maxAge === null ? {} : { maxAge: c.maxAge },
    },
  });
  let cookie: string | undefined;
  if (visitor.startsWith("returning")) {
    const first = await h.get("/write");
    cookie = first.sessionCookie()?.pair;
    expect(cookie).toBeDefined();
    rec.reset();
  }
  const path = visitor.endsWith("writes")
    ? "/write"
    : visitor.endsWith("reads")
      ? "/read"
      : "/noop";
  const res = await h.get(path, { cookie });
  return { res, rec, h };
}

function describeCookie(res: HttpResult): string | undefined {
  return res.sessionCookie()?.masked;
}

describe.each(implementations)("%s", (_name, impl) => {
  describe.each(configs)(
    "saveUninitialized=$saveUninitialized resave=$resave rolling=$rolling maxAge=$maxAge",
    (config) => {
      test.each(visitors)("%s", async (visitor) => {
        const { res, rec, h } = await visit(impl, visitor, config);
        const want = expected(visitor, config);
        expect(res.status).toBe(200);
        expect(h.errors).toEqual([]);
        expect(rec.methods()).toEqual(want.store);
        expect(res.sessionCookie() !== undefined).toBe(want.setCookie);
        if (want.setCookie) {
          expect(describeCookie(res)).toBe(
            config.maxAge === null
              ? "connect.sid=<value>; Path=/; HttpOnly"
              : "connect.sid=<value>; Path=/; Expires=<date>; HttpOnly",
          );
        }
        // Whatever was stored is the session the visitor's cookie points to.
        const sid = rec.calls[0]?.sid;
        for (const call of rec.calls) expect(call.sid).toBe(sid);
      });
    },
  );

  test("a store without touch(): an unchanged returning session costs one get and nothing else", async () => {
    const rec = recordStore(new impl.session.MemoryStore(), { withoutTouch: true });
    const h = await startHarness({ impl, options: { store: rec.store, resave: false } });
    const browser = h.browser();
    await browser.get("/write");
    rec.reset();
    const res = await browser.get("/read");
    expect(res.json().views).toBe(1);
    expect(rec.methods()).toEqual(["get"]);
  });

  test("rolling: every response pushes the expiry further and the session is touched", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, rolling: true, cookie: { maxAge: 60_000 } },
    });
    const browser = h.browser();
    const first = (await browser.get("/write")).sessionCookie()?.expires?.getTime() ?? 0;
    await wait(1100); // Expires has a one-second resolution.
    rec.reset();
    const res = await browser.get("/read");
    const second = res.sessionCookie()?.expires?.getTime() ?? 0;
    expect(second).toBeGreaterThan(first);
    expect(rec.methods()).toEqual(["get", "touch"]);
    const touched = rec.calls[1]?.session?.cookie as { expires?: string } | undefined;
    expect(new Date(String(touched?.expires)).getTime()).toBeGreaterThan(first);
  });

  test("without rolling, an unchanged session's stored expiry still moves forward on touch", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      options: { store: rec.store, cookie: { maxAge: 60_000 } },
    });
    const browser = h.browser();
    await browser.get("/write");
    const saved = new Date(String(rec.calls[0]?.session?.cookie?.expires)).getTime();
    await wait(50);
    rec.reset();
    const res = await browser.get("/read");
    expect(res.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["get", "touch"]);
    const touched = new Date(String(rec.calls[1]?.session?.cookie?.expires)).getTime();
    expect(touched).toBeGreaterThan(saved);
  });
});
