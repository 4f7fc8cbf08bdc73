import express from "express";
import { afterEach, expect, test } from "vitest";
import { httpLogger } from "../app/logger.js";
import { type Listening, listen } from "./helpers/listen.js";
import { captureLogs } from "./helpers/logs.js";

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(logs: ReturnType<typeof captureLogs>) {
  const app = express();
  app.use(httpLogger(logs.logger));
  app.get("/login", (_req, res) => {
    res.cookie("sid", "s:the-session-id.signature").send("ok");
  });
  app.get("/healthz", (_req, res) => {
    res.send("ok");
  });
  server = await listen(app);
  return server.url;
}

test("each request is logged with method, URL and status, and no credentials", async () => {
  const logs = captureLogs();
  const url = await serve(logs);
  await fetch(`${url}/login?next=/account`, {
    headers: {
      cookie: "sid=s:the-old-session-id.sig",
      authorization: "Basic dXNlcjpodW50ZXIy",
      "proxy-authorization": "Basic cHJveHk6cGFzcw==",
    },
  });

  const [entry] = logs.entries();
  expect(entry).toMatchObject({
    msg: "request completed",
    req: {
      method: "GET",
      url: "/login?next=/account",
      headers: {
        cookie: "[redacted]",
        authorization: "[redacted]",
        "proxy-authorization": "[redacted]",
      },
    },
    res: { statusCode: 200, headers: { "set-cookie": "[redacted]" } },
  });
  expect(logs.text()).not.toMatch(/session-id|dXNlcjpodW50ZXIy|cHJveHk6cGFzcw/);
});

test("secrets and session IDs in logged objects are redacted", () => {
  const logs = captureLogs();
  logs.logger.info(
    { sessionID: "abc123", user: { password: "hunter2", passwordHash: "$argon2id$x" } },
    "something",
  );
  expect(logs.entries()[0]).toMatchObject({
    sessionID: "[redacted]",
    user: { password: "[redacted]", passwordHash: "[redacted]" },
  });
  expect(logs.text()).not.toMatch(/abc123|hunter2|argon2id/);
});

test("health probes are not logged", async () => {
  const logs = captureLogs();
  const url = await serve(logs);
  await fetch(`${url}/healthz`);
  expect(logs.entries()).toEqual([]);
});
