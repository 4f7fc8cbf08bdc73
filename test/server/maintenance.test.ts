import { afterEach, expect, test } from "vitest";
import type { RunningServer } from "../../app/server.js";
import { startServer } from "../../app/server.js";
import { captureLogs } from "../helpers/logs.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { testConfig } from "../helpers/test-config.js";

let dir: ReturnType<typeof makeTempDir> | undefined;
let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  dir?.remove();
});

test("the server's maintenance runner sweeps (embedded: through the app's one connection) and stops with it", async () => {
  dir = makeTempDir("maintenance-test");
  const config = testConfig(
    { DATA_DIR: `${dir.path}/pg`, SESSION_PRUNE_INTERVAL_MINUTES: "15" },
    dir.path,
  );
  const logs = captureLogs();
  let extraRuns = 0;
  running = await startServer(config, logs.logger, {
    // A feature's own cleanup joins the core ones.
    maintenanceTasks: [
      {
        name: "feature",
        everyMs: 60_000,
        async run(db) {
          extraRuns++;
          const { rows } = await db.query<{ one: number }>("select 1 as one");
          return rows.length;
        },
      },
    ],
  });
  await running.pool.query(
    `insert into session (sid, sess, expire) values
       ('gone', '{}'::json, now() - interval '1 minute'),
       ('kept', '{}'::json, now() + interval '1 hour')`,
  );

  const report = await running.maintenance.runNow();

  expect(report.ran).toBe(true);
  expect(report.tasks.map(({ name, rows }) => [name, rows])).toEqual([
    ["sessions", 1],
    ["rate limits", 0],
    ["tokens", 0],
    ["activity", 0],
    ["feature", 1],
  ]);
  expect(extraRuns).toBe(1);
  const { rows } = await running.pool.query<{ sid: string }>("select sid from session");
  expect(rows).toEqual([{ sid: "kept" }]);
  expect(
    logs
      .entries()
      .filter((entry) => entry.task)
      .map((entry) => entry.task),
  ).toContain("feature");

  await running.close();
  running = undefined;
}, 90_000);
