import type pg from "pg";
import { afterEach, describe, expect, test, vi } from "vitest";
import { loadConfig } from "../../app/config.js";
import {
  type Maintenance,
  sharedMaintenanceConnection,
  startMaintenance,
} from "../../app/maintenance/runner.js";
import { coreMaintenanceTasks } from "../../app/maintenance/tasks.js";
import { createPasswordLimiter } from "../../app/security/password-limits.js";
import { startTestApp } from "../helpers/app.js";
import { makeUser } from "../helpers/auth.js";
import { captureLogs } from "../helpers/logs.js";
import { manualMaintenance, seedEventsAged } from "../helpers/maintenance.js";

let maintenance: Maintenance | undefined;
afterEach(async () => {
  await maintenance?.stop();
  maintenance = undefined;
});

/** Rows of every kind the runner cleans, some past their time and some not. */
async function seed(pool: pg.Pool) {
  const user = await makeUser(pool, "sweep@example.com");
  await pool.query(
    `insert into session (sid, sess, expire)
     select 'old-' || i, '{}'::json, now() - interval '1 minute' from generate_series(1, 12) i
     union all
     select 'live-' || i, '{}'::json, now() + interval '1 hour' from generate_series(1, 2) i`,
  );
  const now = Date.now();
  await pool.query(
    `insert into rate_limits (key, points, expire)
     select 'old:' || i, 1, $1::bigint from generate_series(1, 7) i
     union all select 'live', 1, $2::bigint
     union all select 'forever', 1, null`,
    [now - 1_000, now + 60_000],
  );
  await pool.query(
    `insert into user_tokens (token_hash, user_id, purpose, expires_at)
     select 'old-' || i, $1::bigint, 'reset', now() - interval '1 second' from generate_series(1, 4) i
     union all select 'live', $1::bigint, 'reset', now() + interval '1 hour'`,
    [user.id],
  );
  await seedEventsAged(pool, user.id, [200, 120, 95, 92, 91, 89, 1]);
  return user;
}

async function left(pool: pg.Pool) {
  const { rows } = await pool.query<Record<string, number>>(
    `select (select count(*)::int from session) as sessions,
            (select count(*)::int from rate_limits) as "rateLimits",
            (select count(*)::int from user_tokens) as tokens,
            (select count(*)::int from security_events) as events`,
  );
  return rows[0];
}

describe("the maintenance runner", () => {
  test("deletes what is past its time, in batches until done, and keeps the rest", async () => {
    const app = await startTestApp();
    await seed(app.pool);
    const logs = captureLogs();
    const query = vi.spyOn(app.pool, "query");
    const maintenance = manualMaintenance(
      app.pool,
      coreMaintenanceTasks({ sessionPruneIntervalMs: 60_000 }),
      { batchSize: 5, logger: logs.logger },
    );

    const report = await maintenance.runNow();

    expect(report.ran).toBe(true);
    expect(report.tasks.map(({ name, rows }) => [name, rows])).toEqual([
      ["sessions", 12],
      ["rate limits", 7],
      ["tokens", 4],
    ]);
    // Old activity is the activity feature's to delete (test/features/activity).
    expect(await left(app.pool)).toEqual({ sessions: 2, rateLimits: 2, tokens: 1, events: 7 });
    // 12 expired sessions, 5 a statement: 5, 5, 2; never one DELETE of everything.
    const sessionDeletes = query.mock.calls.filter(([sql]) =>
      String(sql).startsWith("delete from session"),
    );
    expect(sessionDeletes).toHaveLength(3);
    // Each task's run is logged with its row count and time.
    const lines = logs.entries().filter((entry) => typeof entry.task === "string");
    expect(lines.map(({ task, rows }) => [task, rows])).toEqual([
      ["sessions", 12],
      ["rate limits", 7],
      ["tokens", 4],
    ]);
    for (const line of lines) expect(line.ms).toEqual(expect.any(Number));

    // Nothing left to do: a second run deletes nothing, in one statement per task.
    query.mockClear();
    const again = await maintenance.runNow();
    expect(again.tasks.map((task) => task.rows)).toEqual([0, 0, 0]);
    expect(query).toHaveBeenCalledTimes(3);
  });

  test("runs soon after start on its own, each task on its interval; SESSION_PRUNE_INTERVAL_MINUTES=0 never deletes sessions", async () => {
    const app = await startTestApp();
    await seed(app.pool);
    const logs = captureLogs();
    maintenance = startMaintenance({
      connection: sharedMaintenanceConnection(app.pool),
      tasks: coreMaintenanceTasks({ sessionPruneIntervalMs: 0 }),
      logger: logs.logger,
      firstRun: { minMs: 10, maxMs: 50 },
    });
    await expect
      .poll(() => logs.entries().filter((entry) => entry.task).length, { timeout: 5_000 })
      .toBe(2);
    expect(
      logs
        .entries()
        .map((entry) => entry.task)
        .filter(Boolean),
    ).not.toContain("sessions");
    expect(await left(app.pool)).toEqual({ sessions: 14, rateLimits: 2, tokens: 1, events: 7 });
  });

  test("stop() waits for a run in flight, which ends at its next batch; no run after", async () => {
    const app = await startTestApp();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    let batches = 0;
    maintenance = startMaintenance({
      connection: sharedMaintenanceConnection(app.pool),
      tasks: [
        {
          name: "slow",
          everyMs: 10,
          async run(_db, { stopped }) {
            started++;
            await gate;
            // A task loops over batches while there is work, asking between two.
            while (!stopped()) batches++;
            return batches;
          },
        },
      ],
      logger: captureLogs().logger,
      firstRun: { minMs: 0, maxMs: 0 },
    });
    await expect.poll(() => started).toBe(1);
    const stopping = maintenance.stop();
    release();
    await stopping;
    expect(batches).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toBe(1);
  });

  test("the login-attempt counters start no timer of their own: the runner sweeps them", () => {
    vi.useFakeTimers();
    try {
      const pool = { query: async () => ({ rows: [], rowCount: 0 }) } as unknown as pg.Pool;
      createPasswordLimiter(pool);
      // rate-limiter-flexible would set one 5-minute DELETE timer per counter (nine).
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test("keeps 90 days of activity unless ACTIVITY_RETENTION_DAYS says otherwise", () => {
    const base = { NODE_ENV: "test", SESSION_SECRET: "x".repeat(32) };
    expect(loadConfig({ env: base }).config.activityRetentionDays).toBe(90);
    expect(
      loadConfig({ env: { ...base, ACTIVITY_RETENTION_DAYS: "30" } }).config.activityRetentionDays,
    ).toBe(30);
    expect(() => loadConfig({ env: { ...base, ACTIVITY_RETENTION_DAYS: "0" } })).toThrow(
      /ACTIVITY_RETENTION_DAYS/,
    );
  });
});
