import { afterAll, beforeAll, expect, test } from "vitest";
import { spawnServer } from "../helpers/child-server.js";
import { makeTempDir } from "../helpers/temp-dir.js";

let dir: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  dir = makeTempDir("startup-test");
});
afterAll(() => dir.remove());

test("production without SESSION_SECRET or DATABASE_URL refuses to start, naming both", async () => {
  const child = spawnServer(dir.path, { NODE_ENV: "production", SESSION_SECRET: "" });
  expect(await child.exited()).toBe(1);
  expect(child.output()).toMatch(/SESSION_SECRET: required in production/);
  expect(child.output()).toMatch(/DATABASE_URL: required in production/);
  expect(child.output()).not.toContain("listening");
});

test("a short production secret is refused", async () => {
  const child = spawnServer(dir.path, {
    NODE_ENV: "production",
    SESSION_SECRET: "too-short",
    DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
  });
  expect(await child.exited()).toBe(1);
  expect(child.output()).toMatch(/SESSION_SECRET: each secret must be at least 32 characters/);
});
