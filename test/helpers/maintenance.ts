import type pg from "pg";
import { onTestFinished } from "vitest";
import {
  type Maintenance,
  sharedMaintenanceConnection,
  startMaintenance,
} from "../../app/maintenance/runner.js";
import type { MaintenanceTask } from "../../app/maintenance/tasks.js";
import { captureLogs } from "./logs.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The maintenance runner on the app's pool, with no schedule: the test runs it (`runNow`). It is
 * stopped when the test ends. Logs go to `logger` (default: captured, not shown).
 */
export function manualMaintenance(
  pool: pg.Pool,
  tasks: MaintenanceTask[],
  options: { batchSize?: number; logger?: ReturnType<typeof captureLogs>["logger"] } = {},
): Maintenance {
  const maintenance = startMaintenance({
    connection: sharedMaintenanceConnection(pool),
    tasks,
    logger: options.logger ?? captureLogs().logger,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    schedule: false,
  });
  onTestFinished(() => maintenance.stop());
  return maintenance;
}

/** One `sign_in` event for `userId` per age, that many days old. */
export async function seedEventsAged(pool: pg.Pool, userId: string, ageDays: number[]) {
  const now = Date.now();
  for (const days of ageDays) {
    await pool.query(
      "insert into security_events (user_id, kind, created_at) values ($1, 'sign_in', $2)",
      [userId, new Date(now - days * DAY_MS)],
    );
  }
}
