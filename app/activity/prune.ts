import type pg from "pg";
import type { Logger } from "../logger.js";

const MS_PER_DAY = 24 * 60 * 60 * 1000;
/** How often the app deletes events past their retention. */
export const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Deletes every event created before `olderThan`; returns how many. */
export async function pruneEvents(pool: pg.Pool, olderThan: Date): Promise<number> {
  const { rowCount } = await pool.query("delete from security_events where created_at < $1", [
    olderThan,
  ]);
  return rowCount ?? 0;
}

/** The moment before which events are past `retentionDays`, seen from `now`. */
export const retentionCutoff = (retentionDays: number, now = Date.now()) =>
  new Date(now - retentionDays * MS_PER_DAY);

/**
 * Prunes at once, then every `everyMs` (an unref'd timer: it never keeps the process up).
 * Returns the function that stops it (and waits for a run in flight). Failures are logged; the next run tries again.
 */
export function startActivityPrune(options: {
  pool: pg.Pool;
  retentionDays: number;
  logger: Logger;
  everyMs?: number;
}): () => Promise<void> {
  const { pool, retentionDays, logger } = options;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = pruneEvents(pool, retentionCutoff(retentionDays)).then(
      (count) => {
        if (count > 0) logger.info({ count }, "old security events pruned");
      },
      (err: unknown) => logger.error({ err }, "pruning security events failed"),
    );
  };
  run();
  const timer = setInterval(run, options.everyMs ?? PRUNE_EVERY_MS);
  timer.unref();
  // Stopping waits for a run in flight, so the pool can close after it.
  return async () => {
    clearInterval(timer);
    await running;
  };
}
