import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHarness } from "../helpers/session-harness.js";
import { implementations } from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";

// A `secure` cookie is only sent over a secure request. What "secure" means depends on the
// socket (TLS), Express's `trust proxy` + X-Forwarded-Proto, and the `proxy` option.

interface Case {
  what: string;
  trustProxy?: number;
  proxy?: boolean;
  forwardedProto?: string;
  sent: boolean;
}

const secureTrue: Case[] = [
  { what: "plain HTTP", sent: false },
  { what: "X-Forwarded-Proto: https without trust proxy", forwardedProto: "https", sent: false },
  {
    what: "trust proxy + X-Forwarded-Proto: https",
    trustProxy: 1,
    forwardedProto: "https",
    sent: true,
  },
  {
    what: "trust proxy + X-Forwarded-Proto: http",
    trustProxy: 1,
    forwardedProto: "http",
    sent: false,
  },
  { what: "trust proxy, no X-Forwarded-Proto", trustProxy: 1, sent: false },
  {
    what: "proxy: true + X-Forwarded-Proto: https",
    proxy: true,
    forwardedProto: "https",
    sent: true,
  },
  {
    what: "proxy: true + 'https, http' (first value counts)",
    proxy: true,
    forwardedProto: "https, http",
    sent: true,
  },
  {
    what: "proxy: true + 'http, https' (first value counts)",
    proxy: true,
    forwardedProto: "http, https",
    sent: false,
  },
  {
    what: "proxy: true + ' HTTPS ' (case and spaces ignored)",
    proxy: true,
    forwardedProto: " HTTPS ",
    sent: true,
  },
  { what: "proxy: true without X-Forwarded-Proto", proxy: true, sent: false },
  {
    what: "proxy: false ignores a trusted X-Forwarded-Proto",
    trustProxy: 1,
    proxy: false,
    forwardedProto: "https",
    sent: false,
  },
];

function headersFor(c: Case): Record<string, string> {
  return c.forwardedProto === undefined ? {} : { "x-forwarded-proto": c.forwardedProto };
}

describe.each(implementations)("%s: cookie.secure", (_name, impl) => {
  test.each(secureTrue)("secure: true, $what -> cookie sent: $sent", async (c) => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      trustProxy: c.trustProxy,
      options: { store: rec.store, proxy: c.proxy, cookie: { secure: true } },
    });
    const res = await h.get("/write", { headers: headersFor(c) });
    expect(res.status).toBe(200);
    const cookie = res.sessionCookie();
    expect(cookie !== undefined).toBe(c.sent);
    if (cookie) expect(cookie.masked).toBe("connect.sid=<value>; Path=/; HttpOnly; Secure");
    // The session is saved either way: only the cookie is withheld.
    expect(rec.methods()).toEqual(["set"]);
    expect(rec.calls[0]?.session?.cookie?.secure).toBe(true);
  });

  test("secure: true with a rolling session seen over HTTP: no cookie, the store is still touched", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({
      impl,
      trustProxy: 1,
      options: { store: rec.store, rolling: true, cookie: { secure: true, maxAge: 60_000 } },
    });
    const https = { "x-forwarded-proto": "https" };
    const first = await h.get("/write", { headers: https });
    const cookie = first.sessionCookie()?.pair;
    rec.reset();
    const overHttp = await h.get("/read", { cookie, headers: { "x-forwarded-proto": "http" } });
    expect(overHttp.json().views).toBe(1);
    expect(overHttp.sessionCookie()).toBeUndefined();
    expect(rec.methods()).toEqual(["get", "touch"]);
  });

  describe("secure: 'auto' follows the request that created the session", () => {
    test("over plain HTTP: a cookie without Secure, stored as secure: false", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        options: { store: rec.store, cookie: { secure: "auto" } },
      });
      const res = await h.get("/write");
      expect(res.sessionCookie()?.masked).toBe("connect.sid=<value>; Path=/; HttpOnly");
      expect(rec.calls[0]?.session?.cookie?.secure).toBe(false);
      expect(res.json().cookie?.secure).toBe(false);
    });

    test("behind a trusted proxy over HTTPS: Secure, stored as secure: true", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        trustProxy: 1,
        options: { store: rec.store, cookie: { secure: "auto" } },
      });
      const res = await h.get("/write", { headers: { "x-forwarded-proto": "https" } });
      expect(res.sessionCookie()?.masked).toBe("connect.sid=<value>; Path=/; HttpOnly; Secure");
      expect(rec.calls[0]?.session?.cookie?.secure).toBe(true);
    });

    test("X-Forwarded-Proto without trust proxy is not believed", async () => {
      const h = await startHarness({ impl, options: { cookie: { secure: "auto" } } });
      const res = await h.get("/write", { headers: { "x-forwarded-proto": "https" } });
      expect(res.sessionCookie()?.attributes.secure).toBeUndefined();
    });

    test("proxy: true believes X-Forwarded-Proto without trust proxy", async () => {
      const h = await startHarness({ impl, options: { proxy: true, cookie: { secure: "auto" } } });
      const res = await h.get("/write", { headers: { "x-forwarded-proto": "https" } });
      expect(res.sessionCookie()?.attributes.secure).toBe(true);
    });

    test("a session created over HTTPS keeps its Secure cookie: over HTTP it is not re-sent", async () => {
      const h = await startHarness({
        impl,
        trustProxy: 1,
        options: { rolling: true, cookie: { secure: "auto" } },
      });
      const first = await h.get("/write", { headers: { "x-forwarded-proto": "https" } });
      const cookie = first.sessionCookie()?.pair;
      const overHttp = await h.get("/write", { cookie, headers: { "x-forwarded-proto": "http" } });
      expect(overHttp.json()).toMatchObject({ views: 2 });
      expect(overHttp.sessionCookie()).toBeUndefined();
    });
  });
});

// A throw-away certificate needs the openssl CLI; without it these are reported as skipped.
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe.skipIf(!hasOpenssl).each(implementations)(
  "%s: a direct TLS socket is secure",
  (_name, impl) => {
    let dir: string;
    let tls: { key: string; cert: string };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "session-tls-"));
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
        ],
        { stdio: "ignore" },
      );
      tls = {
        key: readFileSync(join(dir, "key.pem"), "utf8"),
        cert: readFileSync(join(dir, "cert.pem"), "utf8"),
      };
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    test.each([
      ["proxy: false", false],
      ["proxy: true", true],
      ["proxy unset", undefined],
    ] as const)("secure: true over HTTPS with %s sends a Secure cookie", async (_what, proxy) => {
      const h = await startHarness({ impl, tls, options: { proxy, cookie: { secure: true } } });
      expect(h.url.startsWith("https://")).toBe(true);
      const res = await h.get("/write", { headers: { "x-forwarded-proto": "http" } });
      expect(res.sessionCookie()?.masked).toBe("connect.sid=<value>; Path=/; HttpOnly; Secure");
    });

    test("secure: 'auto' over HTTPS stores secure: true", async () => {
      const rec = recordStore(new impl.session.MemoryStore());
      const h = await startHarness({
        impl,
        tls,
        options: { store: rec.store, cookie: { secure: "auto" } },
      });
      const res = await h.get("/write");
      expect(res.sessionCookie()?.attributes.secure).toBe(true);
      expect(rec.calls[0]?.session?.cookie?.secure).toBe(true);
    });
  },
);
