import cookieParser from "cookie-parser";
import type { Express } from "express";
import { describe, expect, test } from "vitest";
import { SECRET, signedCookie, startHarness, verifies } from "../helpers/session-harness.js";
import { type AnySessionOptions, implementations } from "../helpers/session-impls.js";
import { warningsDuring } from "../helpers/warnings.js";

// Apps that give cookie-parser the secret: the session middleware signs with req.secret when it
// has no secret option, and finds the cookie in what cookie-parser parsed when it ran first.

const noSecret: AnySessionOptions = { resave: false, saveUninitialized: false };

/** cookie-parser, then something that takes the Cookie header away (a proxy shim, say). */
const parserThenNoHeader = (secret?: string) => (app: Express) => {
  app.use(cookieParser(secret));
  app.use((req, _res, next) => {
    delete req.headers.cookie;
    next();
  });
};

describe.each(implementations)("%s: no secret option", (_name, impl) => {
  // First in this file: both warn once per process.
  test("session() warns that the secret option is missing, and does not throw", () => {
    const messages = warningsDuring(() => impl.session(noSecret));
    expect(messages.some((m) => /req\.secret; provide secret option/.test(m))).toBe(true);
  });

  test("and no req.secret: every request fails through next(err), no cookie", async () => {
    const h = await startHarness({ impl, exactOptions: true, options: noSecret });
    const res = await h.get("/write");
    expect(res.status).toBe(500);
    expect(res.json().error).toBe("secret option required for sessions");
    expect(res.sessionCookie()).toBeUndefined();
    expect(h.errors).toHaveLength(1);
  });

  test("cookie-parser's secret (req.secret) signs the cookie and verifies it", async () => {
    const h = await startHarness({
      impl,
      exactOptions: true,
      options: noSecret,
      before: (app) => app.use(cookieParser(SECRET)),
    });
    const browser = h.browser();
    const first = await browser.get("/write");
    expect(verifies(first.sessionCookie()?.value ?? "", SECRET)).toBe(true);
    const again = await browser.get("/write");
    expect(again.json()).toMatchObject({ views: 2, sessionID: first.json().sessionID });
    expect(h.errors).toEqual([]);
  });

  test("a cookie signed with another secret than req.secret: a new session", async () => {
    const h = await startHarness({
      impl,
      exactOptions: true,
      options: noSecret,
      before: (app) => app.use(cookieParser(SECRET)),
    });
    const res = await h.get("/write", { cookie: signedCookie("forged-id", "another secret") });
    expect(res.json()).toMatchObject({ views: 1 });
    expect(res.json().sessionID).not.toBe("forged-id");
  });
});

describe.each(implementations)("%s: cookie-parser ran first", (_name, impl) => {
  test("req.signedCookies (cookie-parser with the secret): the session is found", async () => {
    const h = await startHarness({ impl, before: parserThenNoHeader(SECRET) });
    const browser = h.browser();
    const first = await browser.get("/write");
    const again = await browser.get("/write");
    expect(again.json()).toMatchObject({ views: 2, sessionID: first.json().sessionID });
  });

  test("req.cookies (cookie-parser without a secret): verified with the session secret", async () => {
    const h = await startHarness({ impl, before: parserThenNoHeader() });
    const browser = h.browser();
    const first = await browser.get("/write");
    const again = await browser.get("/write");
    expect(again.json()).toMatchObject({ views: 2, sessionID: first.json().sessionID });
  });

  test("req.cookies with a bad signature, or unsigned: a new session each time", async () => {
    const h = await startHarness({ impl, before: parserThenNoHeader() });
    const browser = h.browser();
    await browser.get("/write");
    const id = String(browser.sid);
    for (const cookie of [signedCookie(id, "another secret"), `connect.sid=${id}`]) {
      const res = await h.get("/write", { cookie });
      expect(res.json()).toMatchObject({ views: 1 });
      expect(res.json().sessionID).not.toBe(id);
    }
  });

  test("req.signedCookies that cookie-parser rejected (another secret): a new session", async () => {
    const h = await startHarness({ impl, before: parserThenNoHeader("another secret") });
    const id = "some-id";
    const res = await h.get("/write", { cookie: signedCookie(id) });
    expect(res.json()).toMatchObject({ views: 1 });
    expect(res.json().sessionID).not.toBe(id);
  });
});
