import pg from "pg";
import type { Logger } from "../logger.js";
import { DEFAULT_BATCH_SIZE, DEFAULT_REST_RATIO, type Queryable } from "./batches.js";
import type { MaintenanceTask } from "./tasks.js";

/**
 * Where the runner's statements go.
 * - "dedicated" (a PostgreSQL server): a Pool of one connection of its own, never the request
 *   Pool, so a request never waits for a cleanup. A run holds that one connection throughout and
 *   takes a session-level advisory lock on it: of several app instances, one sweeps at a time.
 * - "shared" (the embedded Postgres): PGlite is one backend behind every connection, which the
 *   app's Pool of one already holds (app/db/pool.ts); a second connection would cross-wire
 *   transactions. So each batch goes through the app's Pool, and requests take turns with it
 *   between batches. No lock: only one process can open the data folder (data-dir-lock.ts).
 */
export type MaintenanceConnection =
  | { kind: "dedicated"; pool: pg.Pool }
  | { kind: "shared"; pool: pg.Pool };

/** Its own connection to `url`, for the runner (see MaintenanceConnection). */
export function dedicatedMaintenanceConnection(url: string, logger: Logger): MaintenanceConnection {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: "passport-session-starter maintenance",
    max: 1,
    connectionTimeoutMillis: 5_000,
    // Each statement is one batch: far below this, whatever the backlog.
    statement_timeout: 60_000,
    // Between runs (minutes apart) the connection is given back to the server.
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  pool.on("error", (error) => logger.warn({ err: error }, "maintenance connection lost"));
  return { kind: "dedicated", pool };
}

/** The app's own Pool (embedded Postgres: see MaintenanceConnection). */
export const sharedMaintenanceConnection = (pool: pg.Pool): MaintenanceConnection => ({
  kind: "shared",
  pool,
});

/** pg_try_advisory_lock's key for "a maintenance run": the same on every instance. */
export const MAINTENANCE_LOCK_KEY = 7_305_162_845_021_417;

export interface TaskReport {
  name: string;
  rows: number;
  ms: number;
  error?: unknown;
}

export interface RunReport {
  /** False: another instance held the lock (or the database could not be reached): nothing ran. */
  ran: boolean;
  tasks: TaskReport[];
}

export interface Maintenance {
  /** Runs these tasks (all by default) now, after any run in flight; rescheduled as if due. */
  runNow(names?: string[]): Promise<RunReport>;
  /** Stops the timer, lets a run in flight end at its next batch, closes its own connection. */
  stop(): Promise<void>;
}

export interface MaintenanceOptions {
  connection: MaintenanceConnection;
  tasks: MaintenanceTask[];
  logger: Logger;
  /** The first run comes this soon after start, at a random point in [min, max] ms. */
  firstRun?: { minMs: number; maxMs: number };
  /** Each interval is `everyMs` times a random factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
  batchSize?: number;
  /** Rest between batches, as a multiple of the last batch's time (0: none). */
  restRatio?: number;
  lockKey?: number;
  /** False: no timer, only runNow (tests, the bench). */
  schedule?: boolean;
  random?: () => number;
}

/**
 * One runner for every cleanup: each task on its own jittered interval (so app instances started
 * together do not sweep together), the first soon after start; a run does the tasks that are due,
 * one after the other, each in batches, and logs each task's row count and time.
 */
export function startMaintenance(options: MaintenanceOptions): Maintenance {
  const { connection, logger } = options;
  const random = options.random ?? Math.random;
  const jitter = options.jitter ?? 0.25;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const restRatio = options.restRatio ?? DEFAULT_REST_RATIO;
  const lockKey = options.lockKey ?? MAINTENANCE_LOCK_KEY;
  const firstRun = options.firstRun ?? { minMs: 5_000, maxMs: 30_000 };
  const tasks = options.tasks.filter((task) => task.everyMs > 0);
  const start = Date.now();
  const dueAt = new Map(
    tasks.map((task) => [
      task,
      start + firstRun.minMs + random() * (firstRun.maxMs - firstRun.minMs),
    ]),
  );
  const interval = (task: MaintenanceTask) => task.everyMs * (1 - jitter + 2 * jitter * random());

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  function schedule() {
    if (stopped || options.schedule === false || tasks.length === 0) return;
    clearTimeout(timer);
    const next = Math.min(...dueAt.values());
    timer = setTimeout(
      () => {
        const now = Date.now();
        void enqueue(tasks.filter((task) => (dueAt.get(task) ?? 0) <= now));
      },
      Math.max(0, next - Date.now()),
    );
    // Never what keeps the process up.
    timer.unref();
  }

  function enqueue(due: MaintenanceTask[]): Promise<RunReport> {
    const run = running.then(() => runTasks(due));
    running = run.catch(() => {});
    return run.finally(() => {
      const now = Date.now();
      for (const task of due) if (dueAt.has(task)) dueAt.set(task, now + interval(task));
      schedule();
    });
  }

  async function runTasks(due: MaintenanceTask[]): Promise<RunReport> {
    if (stopped || due.length === 0) return { ran: false, tasks: [] };
    if (connection.kind === "shared") {
      return { ran: true, tasks: await each(due, connection.pool) };
    }
    let client: pg.PoolClient;
    try {
      client = await connection.pool.connect();
    } catch (error) {
      logger.warn({ err: error }, "maintenance: no database connection, will try again");
      return { ran: false, tasks: [] };
    }
    let broken: unknown;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "select pg_try_advisory_lock($1) as locked",
        [lockKey],
      );
      if (!rows[0]?.locked) {
        logger.debug("maintenance: another instance is running it");
        return { ran: false, tasks: [] };
      }
      try {
        return { ran: true, tasks: await each(due, client) };
      } finally {
        await client.query("select pg_advisory_unlock($1)", [lockKey]);
      }
    } catch (error) {
      // The connection may be unusable: dropped, and the lock with it (the server ends it).
      broken = error;
      logger.error({ err: error }, "maintenance run failed");
      return { ran: false, tasks: [] };
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async function each(due: MaintenanceTask[], db: Queryable): Promise<TaskReport[]> {
    const reports: TaskReport[] = [];
    for (const task of due) {
      if (stopped) break;
      const began = performance.now();
      try {
        const rows = await task.run(db, {
          now: new Date(),
          batchSize,
          restRatio,
          stopped: () => stopped,
        });
        const ms = Math.round(performance.now() - began);
        reports.push({ name: task.name, rows, ms });
        logger.info(
          { task: task.name, rows, ms },
          `maintenance: ${task.name}: ${rows} row(s) deleted in ${ms} ms`,
        );
      } catch (error) {
        const ms = Math.round(performance.now() - began);
        reports.push({ name: task.name, rows: 0, ms, error });
        logger.error({ err: error, task: task.name, ms }, `maintenance: ${task.name} failed`);
      }
    }
    return reports;
  }

  schedule();
  return {
    runNow(names) {
      const chosen = names ? options.tasks.filter((task) => names.includes(task.name)) : tasks;
      return enqueue(chosen);
    },
    async stop() {
      if (stopped) return running.then(() => {});
      stopped = true;
      clearTimeout(timer);
      await running;
      if (connection.kind === "dedicated") await connection.pool.end();
    },
  };
}
