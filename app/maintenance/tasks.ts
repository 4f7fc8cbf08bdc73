import type { Config } from "../config.js";
import { deleteInBatches, type Queryable } from "./batches.js";

/**
 * One kind of cleanup the maintenance runner (runner.ts) does every `everyMs`. A feature adds its
 * own by putting one in the list handed to the runner (app/server.ts, `maintenanceTasks`).
 */
export interface MaintenanceTask {
  /** Short and stable: it names the task in the logs. */
  name: string;
  /** How often it runs (jittered by the runner); 0: never. */
  everyMs: number;
  /** Does the work once, on the runner's connection; returns how many rows it deleted. */
  run(db: Queryable, context: TaskContext): Promise<number>;
}

export interface TaskContext {
  now: Date;
  /** Rows per DELETE. */
  batchSize: number;
  /** Rest between two batches, as a multiple of the last one's time. */
  restRatio: number;
  /** True once the runner is stopping: a task looping over batches stops between two. */
  stopped(): boolean;
}

const MINUTE = 60_000;

/** Expired sessions (connect-pg-simple's table), every SESSION_PRUNE_INTERVAL_MINUTES. */
export function expiredSessionsTask(everyMs: number): MaintenanceTask {
  return {
    name: "sessions",
    everyMs,
    run: (db, { now, batchSize, restRatio, stopped }) =>
      deleteInBatches(db, {
        table: "session",
        key: "sid",
        // As connect-pg-simple's own prune: the same comparison, served by IDX_session_expire.
        where: "expire < to_timestamp($1)",
        values: [now.valueOf() / 1000],
        batchSize,
        restRatio,
        stopped,
      }),
  };
}

/**
 * Expired login-attempt counters (rate-limiter-flexible's table; its own timers are off:
 * app/security/password-limits.ts). `expire` is in ms; IDX_rate_limits_expire serves it.
 */
export function expiredRateLimitsTask(everyMs = 5 * MINUTE): MaintenanceTask {
  return {
    name: "rate limits",
    everyMs,
    run: (db, { now, batchSize, restRatio, stopped }) =>
      deleteInBatches(db, {
        table: "rate_limits",
        key: "key",
        where: "expire < $1",
        values: [now.valueOf()],
        batchSize,
        restRatio,
        stopped,
      }),
  };
}

/** One-time links past their expiry (user_tokens; IDX_user_tokens_expires). */
export function expiredTokensTask(everyMs = 15 * MINUTE): MaintenanceTask {
  return {
    name: "tokens",
    everyMs,
    run: (db, { now, batchSize, restRatio, stopped }) =>
      deleteInBatches(db, {
        table: "user_tokens",
        key: "token_hash",
        where: "expires_at <= $1",
        values: [now],
        batchSize,
        restRatio,
        stopped,
      }),
  };
}

/** Every cleanup the app itself needs, from its configuration. */
export function coreMaintenanceTasks(
  config: Pick<Config, "sessionPruneIntervalMs">,
): MaintenanceTask[] {
  return [
    expiredSessionsTask(config.sessionPruneIntervalMs),
    expiredRateLimitsTask(),
    expiredTokensTask(),
  ];
}
