import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { createApp } from "../../app/app.js";
import { startEmbeddedPostgres } from "../../app/db/embedded.js";
import { createPool, type PoolKind } from "../../app/db/pool.js";
import { createSessionStore } from "../../app/db/session-store.js";
import { type Listening, listen } from "../helpers/listen.js";
import { captureLogs } from "../helpers/logs.js";
import { testConfig } from "../helpers/test-config.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The app on a Pool to `databaseUrl`, served on 127.0.0.1. */
async function serveApp(databaseUrl: string, kind: PoolKind) {
  const logs = captureLogs();
  const config = testConfig({ DATABASE_URL: databaseUrl });
  const pool = createPool(databaseUrl, kind, logs.logger);
  const sessionStore = createSessionStore(pool, config, logs.logger);
  const server: Listening = await listen(
    createApp({ config, pool, logger: logs.logger, sessionStore }),
  );
  cleanups.push(async () => {
    await server.close();
    await sessionStore.close();
    await pool.end();
  });
  return { url: server.url, logs };
}

async function timed(url: string) {
  const started = Date.now();
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}

test("with the database stopped: /healthz is 200, /readyz 503 within seconds, and the process survives", async () => {
  const db = await startEmbeddedPostgres({});
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await db.stop();
  });
  const { url, logs } = await serveApp(db.url, "embedded");

  expect(await timed(`${url}/readyz`)).toMatchObject({ status: 200, body: { status: "ok" } });

  await db.stop();
  stopped = true;
  // The Pool's idle connection just died under it: logged, not thrown.
  await expect.poll(() => logs.text()).toContain("idle database connection lost");

  const ready = await timed(`${url}/readyz`);
  expect(ready).toMatchObject({ status: 503, body: { status: "unavailable" } });
  expect(ready.ms).toBeLessThan(3_000);
  expect(await timed(`${url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
}, 60_000);

test("with a database that accepts connections but never answers: /readyz is 503 in about 2 s", async () => {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((socket) => {
    sockets.add(socket);
  });
  silent.listen(0, "127.0.0.1");
  await once(silent, "listening");
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  const { port } = silent.address() as AddressInfo;
  const { url } = await serveApp(`postgres://nobody@127.0.0.1:${port}/none`, "server");

  const ready = await timed(`${url}/readyz`);
  expect(ready.status).toBe(503);
  expect(ready.ms).toBeGreaterThanOrEqual(1_500);
  expect(ready.ms).toBeLessThan(3_500);
  expect((await timed(`${url}/healthz`)).status).toBe(200);
});
