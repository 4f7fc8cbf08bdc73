import http from "node:http";
import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient } from "../helpers/auth.js";
import { PROBE_WRITE } from "../helpers/probe-routes.js";

/**
 * The session is written when the response ends; if that write fails, the response is already
 * on its way. The session middleware (as express-session does) reports it with a second call of
 * `next(err)`. When the request had already reached the app's error handler (the last layer),
 * Express hands that call to its own final handler, which prints the stack to stderr and
 * destroys the client's keep-alive connection. The app must log it and keep the connection.
 */

interface RawReply {
  status: number;
  body: string;
  socket: import("node:net").Socket;
  reused: boolean;
}

function send(
  agent: http.Agent,
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(options.path, url),
      { method: options.method ?? "GET", agent, headers: options.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            socket: req.socket as import("node:net").Socket,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

test("a session write that fails after an error page is logged, and the connection stays open", async () => {
  const app = await startTestApp({ probeRoutes: true });
  const { client } = await loggedInClient(app, "ann@example.com");
  // A one-time message waits in the session (the probe's): the next page shows it and removes it.
  await client.get("/account");
  expect((await client.post(PROBE_WRITE)).status).toBe(303);

  // From now on the database answers only the two reads every request starts with (the session,
  // then its user), as when it goes down in the middle of a request.
  const query = app.pool.query.bind(app.pool) as (...args: unknown[]) => Promise<unknown>;
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
  });
  const stillAnswered = /^(SELECT sess FROM "session"|select \* from users where id)/;
  app.pool.query = ((...args: unknown[]) =>
    typeof args[0] === "string" && !stillAnswered.test(args[0])
      ? Promise.reject(refused)
      : query(...args)) as typeof app.pool.query;

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // The sessions page takes the message out (the session changes), then its own query fails:
    // the 503 page; then the end of the request saves the changed session, and that fails too.
    const reply = await send(agent, app.url, {
      path: "/account/sessions",
      headers: { accept: "text/html", cookie: client.cookieHeader() },
    });
    expect(reply.status).toBe(503);
    expect(reply.body).toContain("<h1>Temporarily unavailable</h1>");
    let closed = reply.socket.destroyed;
    reply.socket.once("close", () => {
      closed = true;
    });

    await expect
      .poll(() => app.logs.entries().filter((e) => e.msg === "error after the response was sent"))
      .toHaveLength(1);
    const late = app.logs.entries().find((e) => e.msg === "error after the response was sent");
    expect(late).toMatchObject({ level: 50, err: { code: "ECONNREFUSED" } });

    // The same keep-alive connection carries the next request.
    const next = await send(agent, app.url, { path: "/healthz" });
    expect(closed).toBe(false);
    expect(next.reused).toBe(true);
    expect(next.status).toBe(200);
  } finally {
    agent.destroy();
    app.pool.query = query as typeof app.pool.query;
  }
});
