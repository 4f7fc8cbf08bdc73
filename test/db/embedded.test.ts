import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DataDirLockedError, lockDataDir } from "../../app/db/data-dir-lock.js";
import { startEmbeddedPostgres } from "../../app/db/embedded.js";
import { makeTempDir } from "../helpers/temp-dir.js";

let dir: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  dir = makeTempDir("embedded-test");
});
afterEach(() => dir.remove());

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("the data folder lock", () => {
  test("a second holder is refused with the folder and the holder's pid", () => {
    const release = lockDataDir(dir.path);
    expect(readFileSync(join(dir.path, "app.pid"), "utf8").trim()).toBe(String(process.pid));
    expect(() => lockDataDir(dir.path)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir.path)).toThrow(
      new RegExp(`${dir.path}.*in use by process ${process.pid}`),
    );
    release();
    expect(existsSync(join(dir.path, "app.pid"))).toBe(false);
    lockDataDir(dir.path)();
  });

  test("a lock left by a process that is gone is taken over", () => {
    writeFileSync(join(dir.path, "app.pid"), `${deadPid()}\n`);
    const release = lockDataDir(dir.path);
    expect(readFileSync(join(dir.path, "app.pid"), "utf8").trim()).toBe(String(process.pid));
    release();
  });

  test("creates the folder if it does not exist yet", () => {
    const nested = join(dir.path, "a", "b");
    lockDataDir(nested)();
    expect(existsSync(nested)).toBe(true);
  });
});

describe("embedded Postgres in a data folder", () => {
  test("keeps its data across a stop and a start, and refuses a second server meanwhile", async () => {
    const first = await startEmbeddedPostgres({ dataDir: dir.path });
    try {
      await expect(startEmbeddedPostgres({ dataDir: dir.path })).rejects.toThrow(
        DataDirLockedError,
      );
      const pool = new pg.Pool({ connectionString: first.url, max: 1 });
      await pool.query("create table notes (body text); insert into notes values ('kept')");
      await pool.end();
    } finally {
      await first.stop();
    }
    expect(existsSync(join(dir.path, "app.pid"))).toBe(false);

    const second = await startEmbeddedPostgres({ dataDir: dir.path });
    try {
      const pool = new pg.Pool({ connectionString: second.url, max: 1 });
      const { rows } = await pool.query("select body from notes");
      expect(rows).toEqual([{ body: "kept" }]);
      await pool.end();
    } finally {
      await second.stop();
    }
  }, 60_000);
});
