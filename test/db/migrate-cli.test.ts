import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";
import { makeTempDir } from "../helpers/temp-dir.js";

let dir: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  dir = makeTempDir("migrate-cli-test");
});
afterAll(() => dir.remove());

/** `npm run migrate -- <args>` on an embedded database in the temp dir. */
function migrateCli(...args: string[]) {
  const result = spawnSync(
    join(projectRoot, "node_modules", ".bin", "tsx"),
    [join(projectRoot, "app", "db", "migrate-cli.ts"), ...args],
    {
      cwd: dir.path,
      env: { PATH: process.env.PATH ?? "", DATA_DIR: join(dir.path, "pg") },
      encoding: "utf8",
    },
  );
  return { status: result.status, output: result.stdout + result.stderr };
}

test("up applies every pending migration; down reverts only the last", () => {
  const up = migrateCli();
  expect(up.status).toBe(0);
  expect(up.output).toMatch(/^up: 001_users, 002_session/m);

  const last = /^up: (.*)$/m.exec(up.output)?.[1]?.split(", ").at(-1);
  const down = migrateCli("down");
  expect(down.status).toBe(0);
  expect(down.output).toMatch(new RegExp(`^down: ${last}$`, "m"));
}, 90_000);

test("a wrong argument prints the usage and fails", () => {
  const result = migrateCli("sideways");
  expect(result.status).toBe(1);
  expect(result.output).toContain("usage: npm run migrate");
});
