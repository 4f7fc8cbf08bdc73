import { afterEach, expect, test } from "vitest";
import { maintenanceTasksOf } from "../../../app/app.js";
import {
  type Maintenance,
  sharedMaintenanceConnection,
  startMaintenance,
} from "../../../app/maintenance/runner.js";
import { startTestApp } from "../../helpers/app.js";
import { makeUser } from "../../helpers/auth.js";
import { captureLogs } from "../../helpers/logs.js";

const DAY = 24 * 60 * 60 * 1000;
let maintenance: Maintenance | undefined;
afterEach(async () => {
  await maintenance?.stop();
  maintenance = undefined;
});

test("the activity trail keeps ACTIVITY_RETENTION_DAYS: older events go, in batches, with the app's cleanups", async () => {
  const app = await startTestApp({ config: { activityRetentionDays: 90 } });
  const user = await makeUser(app.pool, "trail@example.com");
  const now = Date.now();
  for (const ageDays of [200, 120, 95, 92, 91, 89, 1]) {
    await app.pool.query(
      "insert into security_events (user_id, kind, created_at) values ($1, 'sign_in', $2)",
      [user.id, new Date(now - ageDays * DAY)],
    );
  }
  // The feature adds its task to the app; the server runs it with the core's.
  const tasks = maintenanceTasksOf(app.express);
  expect(tasks.map((task) => task.name)).toEqual(["activity"]);

  maintenance = startMaintenance({
    connection: sharedMaintenanceConnection(app.pool),
    tasks,
    logger: captureLogs().logger,
    batchSize: 2,
    schedule: false,
  });
  const report = await maintenance.runNow();
  expect(report.tasks.map(({ name, rows }) => [name, rows])).toEqual([["activity", 5]]);
  const { rows } = await app.pool.query<{ days: number }>(
    "select round(extract(epoch from now() - created_at) / 86400)::int as days from security_events order by created_at",
  );
  expect(rows.map((row) => row.days)).toEqual([89, 1]);
});
