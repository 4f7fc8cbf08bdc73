import express from "express";
import { afterEach, expect, test } from "vitest";
import { DEFAULT_APP_NAME } from "../../app/config.js";
import { errorHandler, notFound } from "../../app/http/errors.js";
import { createViews } from "../../app/http/views.js";
import { httpLogger } from "../../app/logger.js";
import { viewsDir } from "../../app/paths.js";
import { type Listening, listen } from "../helpers/listen.js";
import { captureLogs } from "../helpers/logs.js";

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** An app whose routes fail in the ways real ones do, ending with the app's own handlers. */
async function serve() {
  const logs = captureLogs();
  const app = express();
  app.use(httpLogger(logs.logger));
  app.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  app.post("/json", express.json(), (_req, res) => {
    res.send("parsed");
  });
  app.get("/late", (_req, res, next) => {
    res.send("already answered");
    // What the session middleware does with a store error after the response went out.
    next(new Error("late store error"));
  });
  const views = createViews(viewsDir, { cache: false, appName: DEFAULT_APP_NAME });
  app.use(notFound(views));
  app.use(errorHandler(views, logs.logger));
  server = await listen(app);
  return { url: server.url, logs };
}

test("an error answers 500 without details, and is logged with its stack", async () => {
  const { url, logs } = await serve();
  const page = await fetch(`${url}/boom`, { headers: { accept: "text/html" } });
  expect(page.status).toBe(500);
  const body = await page.text();
  expect(body).toContain("Something went wrong");
  expect(body).not.toContain("hunter2");

  const api = await fetch(`${url}/boom`, { headers: { accept: "application/json" } });
  expect(api.status).toBe(500);
  expect(await api.json()).toMatchObject({ error: "internal_error" });

  const logged = logs.entries().find((entry) => entry.msg === "request failed");
  expect(logged).toMatchObject({ level: 50, err: { message: "database password is hunter2" } });
  expect(JSON.stringify(logged)).toContain("at ");
});

test("a client error from a body parser keeps its 4xx status", async () => {
  const { url } = await serve();
  const res = await fetch(`${url}/json`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: "{not json",
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: "bad_request" });
});

test("an error after the response was sent is only logged; the response stands", async () => {
  const { url, logs } = await serve();
  const res = await fetch(`${url}/late`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("already answered");
  await expect
    .poll(() => logs.entries().map((entry) => entry.msg))
    .toContain("error after the response was sent");
});

test("not found: 404 for any method", async () => {
  const { url } = await serve();
  const res = await fetch(`${url}/nothing-here`, { method: "DELETE" });
  expect(res.status).toBe(404);
});
