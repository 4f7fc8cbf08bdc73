import { afterEach, expect, test } from "vitest";
import { migrate } from "../../app/db/migrate.js";
import {
  dedicatedMaintenanceConnection,
  type Maintenance,
  startMaintenance,
} from "../../app/maintenance/runner.js";
import { expiredSessionsTask, type MaintenanceTask } from "../../app/maintenance/tasks.js";
import { captureLogs } from "../helpers/logs.js";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/scratch-database.js";
import { silentMigrationLog } from "../helpers/test-schema.js";

// Several app instances on one PostgreSQL server: each has its own runner, on a connection of
// its own. Real Postgres only (the embedded one is one process's, and one backend).
const onServer = Boolean(process.env.DATABASE_URL);

let database: ScratchDatabase | undefined;
const runners: Maintenance[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  await database?.drop();
  database = undefined;
});

function runner(url: string, tasks: MaintenanceTask[]) {
  const logs = captureLogs();
  const maintenance = startMaintenance({
    connection: dedicatedMaintenanceConnection(url, logs.logger),
    tasks,
    logger: logs.logger,
    schedule: false,
  });
  runners.push(maintenance);
  return maintenance;
}

test.skipIf(!onServer)(
  "two instances' runners at once: one sweeps, on its own connection; the other skips its turn",
  async () => {
    database = await createScratchDatabase();
    await migrate({ databaseUrl: database.url, direction: "up", log: silentMigrationLog });
    await database.pool.query(
      `insert into session (sid, sess, expire)
       select 'old-' || i, '{}'::json, now() - interval '1 minute' from generate_series(1, 20) i`,
    );
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inside = 0;
    // The first instance's run holds the lock until the gate opens.
    const held: MaintenanceTask = {
      name: "held",
      everyMs: 60_000,
      async run() {
        inside++;
        await gate;
        return 0;
      },
    };
    const sessions = expiredSessionsTask(60_000);
    const first = runner(database.url, [held, sessions]);
    const second = runner(database.url, [held, sessions]);

    const firstRun = first.runNow();
    await expect.poll(() => inside).toBe(1);
    // The sweep runs on a connection of its own, not the app's request Pool.
    const { rows } = await database.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database()
          and application_name = 'passport-session-starter maintenance'`,
    );
    expect(rows[0]?.n).toBeGreaterThanOrEqual(1);

    const secondRun = await second.runNow();
    expect(secondRun).toEqual({ ran: false, tasks: [] });
    expect(inside).toBe(1);

    release();
    const done = await firstRun;
    expect(done.ran).toBe(true);
    expect(done.tasks.map(({ name, rows }) => [name, rows])).toEqual([
      ["held", 0],
      ["sessions", 20],
    ]);

    // The lock went with the first run: the other instance's next turn runs.
    const later = await second.runNow();
    expect(later.ran).toBe(true);
    expect(later.tasks.map(({ name, rows }) => [name, rows])).toEqual([
      ["held", 0],
      ["sessions", 0],
    ]);
  },
);

test.skipIf(!onServer)("both started at once: the rows are deleted once, never twice", async () => {
  database = await createScratchDatabase();
  await migrate({ databaseUrl: database.url, direction: "up", log: silentMigrationLog });
  await database.pool.query(
    `insert into session (sid, sess, expire)
     select 'old-' || i, '{}'::json, now() - interval '1 minute' from generate_series(1, 30000) i`,
  );
  const tasks = [expiredSessionsTask(60_000)];
  const reports = await Promise.all([
    runner(database.url, tasks).runNow(),
    runner(database.url, tasks).runNow(),
  ]);
  const deleted = reports.flatMap((report) => report.tasks).reduce((n, t) => n + t.rows, 0);
  expect(deleted).toBe(30_000);
  const { rows } = await database.pool.query<{ n: number }>(
    "select count(*)::int as n from session",
  );
  expect(rows[0]?.n).toBe(0);
});
