import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningServer, startServer } from "../../app/server.js";
import { captureLogs } from "../helpers/logs.js";
import { rawRequest } from "../helpers/raw-http.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { testConfig } from "../helpers/test-config.js";

/**
 * Requests Node's HTTP parser refuses before the app sees them: headers over its 16 kB limit
 * (a huge cookie, thousands of cookies, a very long address), bytes no request may hold. The
 * app's server (startServer, as `npm start` runs it) answers them with the right status and a
 * short page, and carries on.
 */

let dir: ReturnType<typeof makeTempDir>;
let running: RunningServer;

beforeAll(async () => {
  dir = makeTempDir("client-errors");
  running = await startServer(
    testConfig({ DATA_DIR: join(dir.path, "pg") }, dir.path),
    captureLogs().logger,
  );
}, 60_000);

afterAll(async () => {
  await running?.close();
  dir?.remove();
});

const manyCookies = Array.from({ length: 2_000 }, (_, i) => `c${i}=${i}`).join("; ");

const refused: Array<[string, Parameters<typeof rawRequest>[1], number, string]> = [
  [
    "a 20 kB cookie",
    { path: "/", headers: [["Cookie", `sid=${"v".repeat(20_000)}`]] },
    431,
    "Request too large",
  ],
  [
    "2,000 cookies",
    { path: "/account", headers: [["Cookie", manyCookies]] },
    431,
    "Request too large",
  ],
  ["a 20 kB address", { path: `/${"p".repeat(20_000)}` }, 431, "Request too large"],
  ["a NUL byte in a header", { path: "/", headers: [["Cookie", "sid=a\0b"]] }, 400, "Bad request"],
  ["a space in the address", { path: "/a b" }, 400, "Bad request"],
  ["a method with a control character", { method: "G\u0001T", path: "/" }, 400, "Bad request"],
  ["a header without a name", { path: "/", headers: [["", "x"]] }, 400, "Bad request"],
  [
    "two Content-Lengths that disagree",
    {
      method: "POST",
      path: "/login",
      headers: [
        ["Content-Length", "1"],
        ["Content-Length", "2"],
      ],
      body: "ab",
    },
    400,
    "Bad request",
  ],
];

test.each(refused)(
  "%s: the status and a page that says so",
  async (_what, request, status, title) => {
    const res = await rawRequest(running.url, request);
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(res.body).toContain(`<h1>${title}</h1>`);
    expect(res.body).toContain('<a class="button secondary" href="/">');
    expect(res.body).not.toMatch(/<script/i);
    // The server carries on.
    expect((await rawRequest(running.url, { path: "/healthz" })).status).toBe(200);
  },
);

test("what was refused is not echoed back", async () => {
  const res = await rawRequest(running.url, {
    path: "/",
    headers: [["Cookie", `sid=<script>alert(1)</script>${"v".repeat(20_000)}`]],
  });
  expect(res.status).toBe(431);
  expect(res.body).not.toContain("alert(1)");
});
