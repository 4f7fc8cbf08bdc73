import { describe, expect, test } from "vitest";
import {
  COOKIE_NAME,
  SECRET,
  signature,
  signedCookie,
  startHarness,
  verifies,
} from "../helpers/session-harness.js";
import { implementations, reference } from "../helpers/session-impls.js";
import { recordStore, storeSet } from "../helpers/session-recording-store.js";

// The session cookie is a signed ID: "s:" + ID + "." + HMAC-SHA256(ID, secret) in base64 without
// padding, URL-encoded in Set-Cookie. Anything else in the cookie means "no session yet".

describe.each(implementations)("%s: the signed session cookie", (_name, impl) => {
  test("a new visitor gets s:<id>.<HMAC-SHA256 base64 without padding>, URL-encoded", async () => {
    const h = await startHarness({ impl });
    const res = await h.get("/write");
    const cookie = res.sessionCookie();
    expect(cookie).toBeDefined();
    if (!cookie) return;
    const { sessionID } = res.json();
    // 24 random bytes, URL-safe base64: 32 characters.
    expect(sessionID).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(cookie.value).toBe(`s:${sessionID}.${signature(String(sessionID))}`);
    expect(cookie.rawValue).toBe(encodeURIComponent(cookie.value));
    expect(cookie.rawValue.startsWith("s%3A")).toBe(true);
    expect(cookie.value).not.toMatch(/=$/);
  });

  test("every new session gets a different ID", async () => {
    const h = await startHarness({ impl });
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(String((await h.get("/write")).json().sessionID));
    expect(ids.size).toBe(5);
  });

  test("a cookie signed with the secret for an ID in the store loads that session", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store } });
    await storeSet(rec.store, "known-id", {
      cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: "/" },
      views: 41,
    });
    rec.reset();
    const res = await h.get("/write", { cookie: signedCookie("known-id") });
    expect(res.json()).toMatchObject({ sessionID: "known-id", id: "known-id", views: 42 });
    expect(rec.methods()).toEqual(["get", "set"]);
  });

  test("an ID containing dots survives signing (the signature follows the last dot)", async () => {
    let n = 0;
    const h = await startHarness({ impl, options: { genid: () => `a.b.c-${++n}` } });
    const browser = h.browser();
    await browser.get("/write");
    expect(browser.sid).toBe("a.b.c-1");
    const res = await browser.get("/write");
    expect(res.json()).toMatchObject({ sessionID: "a.b.c-1", views: 2 });
  });

  test("an ID with characters that need URL-encoding round-trips", async () => {
    const h = await startHarness({
      impl,
      options: { genid: () => "id with spaces;semi=eq/slash" },
    });
    const browser = h.browser();
    const res = await browser.get("/write");
    expect(res.sessionCookie()?.rawValue).not.toMatch(/[ ;]/);
    expect(browser.sid).toBe("id with spaces;semi=eq/slash");
    expect((await browser.get("/write")).json()).toMatchObject({ views: 2 });
  });

  test("a signed cookie sent back without URL-encoding is accepted too", async () => {
    const h = await startHarness({ impl });
    const id = String((await h.get("/write")).json().sessionID);
    const raw = `${COOKIE_NAME}=s:${id}.${signature(id)}`;
    expect((await h.get("/read", { cookie: raw })).json()).toMatchObject({
      sessionID: id,
      views: 1,
    });
  });

  const forged: Array<[string, (id: string) => string]> = [
    [
      "a tampered signature",
      (id) => `${COOKIE_NAME}=${encodeURIComponent(`s:${id}.${signature(id).slice(0, -2)}xx`)}`,
    ],
    ["the ID signed with another secret", (id) => signedCookie(id, "not the secret")],
    ["the bare ID, unsigned", (id) => `${COOKIE_NAME}=${id}`],
    ["the ID with an s: prefix but no signature", (id) => `${COOKIE_NAME}=s%3A${id}`],
    ["the signature of another ID", (id) => signedCookie(id).replace(id, `${id.slice(1)}x`)],
    ["an empty value", () => `${COOKIE_NAME}=`],
    ["just s:", () => `${COOKIE_NAME}=s%3A`],
    ["just s:.", () => `${COOKIE_NAME}=s%3A.`],
    ["garbage", () => `${COOKIE_NAME}=%00%FF%FE-garbage-\u00e9`],
    ["bad percent-encoding", () => `${COOKIE_NAME}=s%3A%E0%A4%A.%ZZ`],
    ["a lone name without =", () => COOKIE_NAME],
    ["a very long value", () => `${COOKIE_NAME}=s%3A${"a".repeat(4000)}.${"b".repeat(43)}`],
  ];

  test.each(forged)("%s means a fresh session, never an error", async (_what, cookieFor) => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store } });
    const first = await h.get("/write");
    const realId = String(first.json().sessionID);
    rec.reset();

    const res = await h.get("/write", { cookie: cookieFor(realId) });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.hasSession).toBe(true);
    expect(body.sessionID).not.toBe(realId);
    expect(body.views).toBe(1);
    expect(h.errors).toEqual([]);
    // The real session is never looked up with an unverified ID.
    expect(rec.calls.filter((c) => c.method === "get")).toEqual([]);
    const issued = res.sessionCookie();
    expect(issued && verifies(issued.value)).toBe(true);
  });

  test("when the cookie name appears twice, the first one counts", async () => {
    const h = await startHarness({ impl });
    const id = String((await h.get("/write")).json().sessionID);
    const good = signedCookie(id);
    const bad = `${COOKIE_NAME}=s%3Abogus.sig`;
    expect((await h.get("/read", { cookie: `${good}; ${bad}` })).json().sessionID).toBe(id);
    expect((await h.get("/read", { cookie: `${bad}; ${good}` })).json().sessionID).not.toBe(id);
  });

  test("other cookies around the session cookie are ignored", async () => {
    const h = await startHarness({ impl });
    const id = String((await h.get("/write")).json().sessionID);
    const res = await h.get("/read", { cookie: `a=1; ${signedCookie(id)}; theme=dark` });
    expect(res.json()).toMatchObject({ sessionID: id, views: 1 });
  });

  test("secret rotation: [new, old] accepts cookies signed with old and signs with new", async () => {
    const store = new impl.session.MemoryStore();
    const before = await startHarness({ impl, options: { store, secret: "old secret" } });
    const browser = before.browser();
    await browser.get("/write");
    const id = browser.sid;
    expect(verifies(browser.value ?? "", "old secret")).toBe(true);

    const after = await startHarness({
      impl,
      options: { store, secret: ["new secret", "old secret"] },
    });
    const res = await after.get("/write", { cookie: browser.cookie });
    expect(res.json()).toMatchObject({ sessionID: id, views: 2 });
    // Modified (no expiry): no new cookie is needed; a fresh session is signed with "new secret".
    const fresh = (await after.get("/write")).sessionCookie();
    expect(fresh && verifies(fresh.value, "new secret")).toBe(true);
    expect(fresh && verifies(fresh.value, "old secret")).toBe(false);
  });

  test("secret rotation with a rolling cookie re-signs an old session with the new secret", async () => {
    const store = new impl.session.MemoryStore();
    const before = await startHarness({ impl, options: { store, secret: "old secret" } });
    const browser = before.browser();
    await browser.get("/write");
    const id = browser.sid;

    const after = await startHarness({
      impl,
      options: { store, secret: ["new secret", "old secret"], rolling: true },
    });
    const res = await after.get("/read", { cookie: browser.cookie });
    const cookie = res.sessionCookie();
    expect(res.json().sessionID).toBe(id);
    expect(cookie?.value).toBe(`s:${id}.${signature(String(id), "new secret")}`);
  });

  test("a secret dropped from the list no longer opens its sessions", async () => {
    const store = new impl.session.MemoryStore();
    const before = await startHarness({ impl, options: { store, secret: "old secret" } });
    const browser = before.browser();
    await browser.get("/write");
    const after = await startHarness({ impl, options: { store, secret: ["new secret"] } });
    const res = await after.get("/read", { cookie: browser.cookie });
    expect(res.json()).toMatchObject({ hasSession: true, views: null });
    expect(res.json().sessionID).not.toBe(browser.sid);
  });

  test("a Buffer secret (express-session 1.19: any createHmac key) signs like the same string", async () => {
    const secret = Buffer.from(SECRET) as unknown as string;
    const h = await startHarness({ impl, options: { secret } });
    const res = await h.get("/write");
    const id = String(res.json().sessionID);
    expect(res.sessionCookie()?.value).toBe(`s:${id}.${signature(id, SECRET)}`);
    expect((await h.get("/read", { cookie: signedCookie(id) })).json().views).toBe(1);
  });

  test("the name option renames the cookie, read and written; the default name is ignored", async () => {
    const h = await startHarness({ impl, options: { name: "app.sid" } });
    const res = await h.get("/write");
    expect(res.sessionCookie()).toBeUndefined();
    const cookie = res.sessionCookie("app.sid");
    expect(cookie).toBeDefined();
    const id = res.json().sessionID;
    expect((await h.get("/read", { cookie: cookie?.pair })).json()).toMatchObject({
      sessionID: id,
      views: 1,
    });
    const renamed = cookie?.pair.replace("app.sid=", `${COOKIE_NAME}=`);
    expect((await h.get("/read", { cookie: renamed })).json().sessionID).not.toBe(id);
  });
});

describe.each(implementations)("%s: cookies made by the other implementation", (_name, impl) => {
  // The other side of the swap: express-session for ours, ours for express-session (when both
  // are loaded; with only one, the implementation is paired with itself).
  const other = implementations.find(([n]) => n !== impl.name)?.[1] ?? reference;

  test("a session started by one is continued by the other, with one shared store", async () => {
    const store = new impl.session.MemoryStore();
    const mine = await startHarness({ impl, options: { store } });
    const theirs = await startHarness({ impl: other, options: { store } });

    const first = await theirs.get("/write");
    const cookie = first.sessionCookie();
    const id = first.json().sessionID;
    const second = await mine.get("/write", { cookie: cookie?.pair });
    expect(second.json()).toMatchObject({ sessionID: id, views: 2 });

    const back = await theirs.get("/read", { cookie: cookie?.pair });
    expect(back.json()).toMatchObject({ sessionID: id, views: 2 });
  });

  test("both sign the same ID identically with the same secret", async () => {
    const ids = ["fixed-id-1", "fixed-id-1"];
    let i = 0;
    const a = await startHarness({ impl, options: { genid: () => ids[i++] ?? "x" } });
    const b = await startHarness({ impl: other, options: { genid: () => ids[i++] ?? "x" } });
    const ca = (await a.get("/write")).sessionCookie();
    const cb = (await b.get("/write")).sessionCookie();
    expect(ca?.raw).toBe(cb?.raw);
    expect(ca?.value).toBe(`s:fixed-id-1.${signature("fixed-id-1", SECRET)}`);
  });
});
