import express, { type Request } from "express";
import { describe, expect, test } from "vitest";
import session, { MemoryStore, type StoredSessionData } from "../../app/session/index.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, sessionIdOf, sessionRow } from "../helpers/auth.js";
import type { Reply } from "../helpers/http-client.js";
import { listen } from "../helpers/listen.js";
import { PROBE_WRITE } from "../helpers/probe-routes.js";

/**
 * Many requests at once on one session. The store holds one JSON document per session and each
 * request writes back its own whole copy, so the guarantee is per request, not per key: see
 * docs/concurrency.md.
 */

test("50 requests at once on one logged-in session, reads and writes mixed: all answered, same cookie, still logged in", async () => {
  // The probe routes: a POST that writes the session.
  const app = await startTestApp({ probeRoutes: true });
  const { client, user } = await loggedInClient(app, "ann@example.com");
  await client.get("/account");
  const cookie = client.cookies.get("sid") as string;
  const id = sessionIdOf(client) as string;

  const requests: Array<() => Promise<Reply>> = [];
  for (let i = 0; i < 50; i++) {
    if (i % 2 === 0) requests.push(() => client.get("/account"));
    else if (i % 10 === 1) requests.push(() => client.getJson("/account"));
    else requests.push(() => client.post(PROBE_WRITE));
  }
  const replies = await Promise.all(requests.map((send) => send()));

  const statuses = replies.map((reply) => reply.status);
  expect(statuses.filter((status) => status !== 200 && status !== 303)).toEqual([]);
  for (const reply of replies) {
    if (reply.status === 303) expect(reply.location).toBe("/account");
    // The rolling cookie is re-sent on every answer: always the same signed value.
    const sent = reply.setCookies.filter((line) => line.startsWith("sid="));
    for (const line of sent) expect(line.split(";")[0]).toBe(`sid=${cookie}`);
  }
  expect(client.cookies.get("sid")).toBe(cookie);

  const row = await sessionRow(app.pool, id);
  expect(row?.sess.passport).toEqual({ user: user.id });
  // The writes reached the store (each request writes its whole copy: some counts are lost).
  expect(row?.sess.probeWrites).toBeGreaterThanOrEqual(1);
  const after = await client.get("/account");
  expect(after.status).toBe(200);
  expect(after.body).toContain("Logged in as <strong>ann@example.com</strong>");
  expect(app.logs.entries().filter((entry) => Number(entry.level) >= 50)).toEqual([]);
});

/**
 * What `resave: false` does and does not promise, shown on the session middleware alone
 * (app/session + MemoryStore). Routes wait on gates the test opens, so the interleaving is
 * exact: A loads the session, B runs to completion, then A finishes.
 */
describe("resave: false, two requests on one session at once", () => {
  type Data = Record<string, unknown>;

  function deferred() {
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }

  async function serve(resave: boolean, store: MemoryStore) {
    const loaded = new Map<string, ReturnType<typeof deferred>>();
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const once = (map: typeof loaded, name: string) => {
      let entry = map.get(name);
      if (!entry) {
        entry = deferred();
        map.set(name, entry);
      }
      return entry;
    };
    const data = (req: Request) => req.session as unknown as Data;

    const app = express();
    app.use(session({ store, secret: "concurrency", resave, saveUninitialized: false }));
    // Starts the session with one key.
    app.get("/start", (req, res) => {
      data(req).start = true;
      res.send("started");
    });
    // ?as=<name>: tells the test the session is loaded, waits for its gate if ?hold, then sets
    // ?set=<key> (or changes nothing).
    app.get("/destroy", async (req, res) => {
      await req.session.destroy();
      res.send("destroyed");
    });
    app.get("/work", async (req, res) => {
      const name = String(req.query.as);
      once(loaded, name).resolve();
      if (req.query.hold) await once(gates, name).promise;
      if (typeof req.query.set === "string") data(req)[req.query.set] = name;
      res.send("done");
    });
    const server = await listen(app);

    let cookie = "";
    return {
      store,
      async start() {
        const res = await fetch(`${server.url}/start`);
        cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
        await res.text();
      },
      destroy() {
        return fetch(`${server.url}/destroy`, { headers: { cookie } }).then((res) => res.text());
      },
      work(name: string, query: string) {
        return fetch(`${server.url}/work?as=${name}&${query}`, { headers: { cookie } }).then(
          (res) => res.text(),
        );
      },
      loaded: (name: string) => once(loaded, name).promise,
      release: (name: string) => once(gates, name).resolve(),
      count: () => Object.keys(store.sessions).length,
      async stored(): Promise<Data> {
        const sids = Object.keys(store.sessions);
        expect(sids).toHaveLength(1);
        const stored = await new Promise<StoredSessionData | null | undefined>((resolve) =>
          store.get(sids[0] as string, (_err, value) => resolve(value)),
        );
        const { cookie: _cookie, ...rest } = stored ?? ({} as StoredSessionData);
        return rest;
      },
      close: () => server.close(),
    };
  }

  type App = Awaited<ReturnType<typeof serve>>;

  /** A started app (one session), closed afterwards. */
  async function withApp(
    resave: boolean,
    body: (app: App) => Promise<void>,
    store = new MemoryStore(),
  ): Promise<void> {
    const app = await serve(resave, store);
    try {
      await app.start();
      await body(app);
    } finally {
      await app.close();
    }
  }

  /** Request A (with `query`) loads the session and waits while `meanwhile` runs, then ends. */
  async function whileAHolds(app: App, query: string, meanwhile: () => Promise<unknown>) {
    const a = app.work("A", `hold=1&${query}`);
    await app.loaded("A");
    await meanwhile();
    app.release("A");
    await a;
  }

  test("guaranteed: a request that changes nothing never writes back, so it cannot undo another's write", () =>
    withApp(false, async (app) => {
      await whileAHolds(app, "", () => app.work("B", "set=b"));
      expect(await app.stored()).toEqual({ start: true, b: "B" });
    }));

  test("the same with resave: true loses the write: the idle request saves its stale copy last", () =>
    withApp(true, async (app) => {
      await whileAHolds(app, "", () => app.work("B", "set=b"));
      expect(await app.stored()).toEqual({ start: true });
    }));

  test("not guaranteed: two requests changing different keys: the last to finish wins, the other's key is lost", () =>
    withApp(false, async (app) => {
      await whileAHolds(app, "set=a", async () => {
        await app.work("B", "set=b");
        expect(await app.stored()).toEqual({ start: true, b: "B" });
      });
      // A wrote its whole copy, loaded before B's write: "b" is gone.
      expect(await app.stored()).toEqual({ start: true, a: "A" });
    }));

  test("guaranteed: a destroy is final: a request in flight when the session is destroyed does not write it back", () =>
    withApp(false, async (app) => {
      // Logout, in another tab: the session is gone from the store...
      await whileAHolds(app, "set=a", async () => {
        await app.destroy();
        expect(app.count()).toBe(0);
      });
      // ...and the request that loaded it before, and changed it, saves with the store's
      // `update`, which only writes a session that is still there.
      expect(app.count()).toBe(0);
    }));

  test("a store written for express-session (no `update`) keeps working as before: the in-flight request writes it back", () =>
    withApp(
      false,
      async (app) => {
        await whileAHolds(app, "set=a", async () => {
          await app.destroy();
          expect(app.count()).toBe(0);
        });
        expect(await app.stored()).toEqual({ start: true, a: "A" });
      },
      Object.assign(new MemoryStore(), { update: undefined }),
    ));
});
