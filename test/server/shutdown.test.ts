import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type ChildServer, spawnServer } from "../helpers/child-server.js";
import { makeTempDir } from "../helpers/temp-dir.js";

let dir: ReturnType<typeof makeTempDir>;
const children: ChildServer[] = [];
const start = () => {
  const child = spawnServer(dir.path, { DATA_DIR: join(dir.path, "pg") });
  children.push(child);
  return child;
};

beforeAll(() => {
  dir = makeTempDir("shutdown-test");
});
afterEach(() => {
  // A test that failed half-way must not leave a server behind (by PID, never by name).
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill("SIGKILL");
    }
  }
});
afterAll(() => dir.remove());

const dataDir = () => join(dir.path, "pg");

describe.each(["SIGTERM", "SIGINT"] as const)("on %s", (signal) => {
  test("the server finishes, closes its port, releases the data folder and exits 0", async () => {
    const child = start();
    const url = await child.listening();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(existsSync(join(dataDir(), "app.pid"))).toBe(true);

    const started = Date.now();
    child.process.kill(signal);
    expect(await child.exited()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);

    expect(child.output()).toContain('"msg":"stopped"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(existsSync(join(dataDir(), "app.pid"))).toBe(false);
  }, 60_000);
});

test("a second server on the same data folder refuses to start, naming the folder", async () => {
  const child = start();
  const url = await child.listening();

  const second = start();
  expect(await second.exited()).toBe(1);
  expect(second.output()).toContain(`${dataDir()} is in use by process`);

  // The first one is unharmed.
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  child.process.kill("SIGTERM");
  expect(await child.exited()).toBe(0);
}, 60_000);
