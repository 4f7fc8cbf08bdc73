import type { Express, RequestHandler, Response } from "express";
import { describe, expect, test, vi } from "vitest";
import { type Harness, sess, startHarness } from "../helpers/session-harness.js";
import { type Impl, implementations } from "../helpers/session-impls.js";

// An app that calls res.end() twice. Behind the session middleware the first end waits for the
// store; the second call (and whatever the app does in between) must meet the response as Node
// has it after an end(): headers sent, further bodies refused.

type Variant = [string, Impl | undefined];
const bare: Variant = ["no session middleware", undefined];

const passThrough: RequestHandler = (_req, _res, next) => next();

/** What the route saw: errors thrown, errors reported, and the second end()'s outcome. */
interface Seen {
  thrown: string[];
  emitted: string[];
  callback: Array<string | null>;
  returnedRes: boolean[];
}

async function start(impl: Impl | undefined, route: (res: Response, seen: Seen) => void) {
  const seen: Seen = { thrown: [], emitted: [], callback: [], returnedRes: [] };
  const routes = (app: Express) =>
    app.get("/twice", (req, res) => {
      // Something for the store to write, so the first end waits for it.
      const session = sess(req).session;
      if (session) session.views = 1;
      res.on("error", (err: NodeJS.ErrnoException) => seen.emitted.push(String(err.code)));
      route(res, seen);
    });
  const h: Harness = impl
    ? await startHarness({ impl, routes })
    : await startHarness({ middleware: passThrough, routes });
  return { h, seen };
}

describe.each<Variant>([bare, ...implementations])("%s: res.end() twice", (_name, impl) => {
  test("a header set after the first end() throws, and the response goes out whole", async () => {
    const { h, seen } = await start(impl, (res, s) => {
      res.end();
      try {
        res.setHeader("Content-Length", "3");
        res.end("foo");
      } catch (err) {
        s.thrown.push(String((err as NodeJS.ErrnoException).code));
      }
    });
    const res = await h.get("/twice");
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(seen.thrown).toEqual(["ERR_HTTP_HEADERS_SENT"]);
  });
});

// express-session answers a second end() with `false` and drops it; ours behaves as Node does.
// Each scenario runs on a server without session middleware and on ours; both must see the same.
const oursOnly = implementations.filter(([name]) => name === "ours");

async function sameAsNode(impl: Impl, route: (res: Response, seen: Seen) => void) {
  const outcomes = [];
  for (const variant of [undefined, impl]) {
    const { h, seen } = await start(variant, route);
    const res = await h.get("/twice");
    // The callback (and 'error') come on a later tick than the response.
    await vi.waitFor(() => expect(seen.callback).toHaveLength(1));
    await new Promise((resolve) => setImmediate(resolve));
    outcomes.push({
      status: res.status,
      body: res.body,
      contentLength: res.headers["content-length"],
      chunked: res.headers["transfer-encoding"],
      seen,
    });
  }
  const [node, withSession] = outcomes;
  expect(withSession).toEqual(node);
  return node;
}

const record = (s: Seen) => (err?: NodeJS.ErrnoException | null) => {
  s.callback.push(err ? String(err.code) : null);
};

describe.each(oursOnly)("%s: res.end() twice, as Node has it", (_name, impl) => {
  test("a second body is refused (ERR_STREAM_WRITE_AFTER_END); the first goes out as sent", async () => {
    const node = await sameAsNode(impl, (res, s) => {
      res.end("first");
      s.returnedRes.push(res.end("second", record(s)) === res);
    });
    expect(node).toMatchObject({ status: 200, body: "first", contentLength: "5" });
    expect(node?.seen).toMatchObject({
      emitted: ["ERR_STREAM_WRITE_AFTER_END"],
      callback: ["ERR_STREAM_WRITE_AFTER_END"],
      returnedRes: [true],
    });
  });

  test("a second end() with only a callback: the callback hears what Node says", async () => {
    const node = await sameAsNode(impl, (res, s) => {
      res.end("only");
      s.returnedRes.push(res.end(record(s)) === res);
    });
    expect(node).toMatchObject({ status: 200, body: "only", contentLength: "4" });
    expect(node?.seen.emitted).toEqual([]);
  });
});
