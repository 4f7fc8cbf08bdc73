import { Writable } from "node:stream";
import express from "express";
import { afterEach, expect, test } from "vitest";
import { createLogger, httpLogger, wantsPrettyLogs } from "../app/logger.js";
import { forBrowsers } from "../app/server.js";
import { type Listening, listen } from "./helpers/listen.js";

// What a developer sees in the terminal after `npm start`: one readable line per request, and
// the address to open. Machines (production, files, pipes) get the JSON lines.

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test("readable lines: one per request with method, URL, status and time; no cookies", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: "info", pretty: true }, sink);
  const app = express();
  app.use(httpLogger(logger));
  app.get("/account", (_req, res) => {
    res.cookie("sid", "s:the-session-id.signature").send("ok");
  });
  server = await listen(app);
  await fetch(`${server.url}/account?tab=1`, { headers: { cookie: "sid=s:secret-id.sig" } });
  await fetch(`${server.url}/nowhere`);
  logger.info({ userId: 7 }, "something else");
  logger.flush();

  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/INFO: GET \/account\?tab=1 200 \d+ms$/);
  expect(lines[1]).toMatch(/WARN: GET \/nowhere 404 \d+ms$/);
  expect(lines[2]).toMatch(/INFO: something else \{"userId":7\}$/);
  expect(lines.join("\n")).not.toMatch(/secret-id|the-session-id|\{"req"/);
  // No colour codes when writing anywhere but a terminal.
  expect(lines.join("\n")).not.toContain("\u001b[");
});

test("readable only in development on a terminal, unless LOG_FORMAT says otherwise", () => {
  const tty = process.stdout.isTTY === true;
  expect(wantsPrettyLogs("auto", false)).toBe(tty);
  expect(wantsPrettyLogs("auto", true)).toBe(false);
  expect(wantsPrettyLogs("json", false)).toBe(false);
  expect(wantsPrettyLogs("pretty", true)).toBe(true);
});

test("the start message names the address a browser should open: localhost for loopback", () => {
  expect(forBrowsers("http://127.0.0.1:3000")).toBe("http://localhost:3000");
  expect(forBrowsers("http://[::1]:3000")).toBe("http://localhost:3000");
  expect(forBrowsers("http://192.0.2.7:3000")).toBe("http://192.0.2.7:3000");
});
