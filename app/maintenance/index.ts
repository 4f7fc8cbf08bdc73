import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import {
  dedicatedMaintenanceConnection,
  type Maintenance,
  sharedMaintenanceConnection,
  startMaintenance,
} from "./runner.js";
import { coreMaintenanceTasks, type MaintenanceTask } from "./tasks.js";

export type { Maintenance, RunReport } from "./runner.js";
export type { MaintenanceTask } from "./tasks.js";

/**
 * The app's maintenance runner on `database`: the core tasks and `extraTasks` (a feature's own
 * cleanups), on a connection of its own (a server) or the app's Pool (embedded).
 */
export function startAppMaintenance(
  database: Pick<Database, "pool" | "url" | "kind">,
  config: Pick<Config, "sessionPruneIntervalMs">,
  logger: Logger,
  extraTasks: MaintenanceTask[] = [],
): Maintenance {
  const embedded = database.kind === "embedded";
  return startMaintenance({
    connection: embedded
      ? sharedMaintenanceConnection(database.pool)
      : dedicatedMaintenanceConnection(database.url, logger),
    tasks: [...coreMaintenanceTasks(config), ...extraTasks],
    logger,
    // Embedded: smaller batches, so requests sharing the one connection wait less for one.
    batchSize: embedded ? 1_000 : 2_000,
  });
}
