import { expect, test } from "vitest";
import { maintenanceTasksOf } from "../../../app/app.js";
import { startTestApp } from "../../helpers/app.js";
import { makeUser } from "../../helpers/auth.js";
import { manualMaintenance, seedEventsAged } from "../../helpers/maintenance.js";

test("the activity trail keeps ACTIVITY_RETENTION_DAYS: older events go, in batches, with the app's cleanups", async () => {
  const app = await startTestApp({ config: { activityRetentionDays: 90 } });
  const user = await makeUser(app.pool, "trail@example.com");
  await seedEventsAged(app.pool, user.id, [200, 120, 95, 92, 91, 89, 1]);
  // The feature adds its task to the app; the server runs it with the core's.
  const tasks = maintenanceTasksOf(app.express);
  expect(tasks.map((task) => task.name)).toEqual(["activity"]);

  const report = await manualMaintenance(app.pool, tasks, { batchSize: 2 }).runNow();
  expect(report.tasks.map(({ name, rows }) => [name, rows])).toEqual([["activity", 5]]);
  const { rows } = await app.pool.query<{ days: number }>(
    "select round(extract(epoch from now() - created_at) / 86400)::int as days from security_events order by created_at",
  );
  expect(rows.map((row) => row.days)).toEqual([89, 1]);
});
