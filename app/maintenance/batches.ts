import type pg from "pg";

/** What a maintenance task runs its statements on: a pg Client or Pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** Rows one DELETE removes at most: small enough for a short lock and a little WAL per statement. */
export const DEFAULT_BATCH_SIZE = 2_000;

/**
 * After each full batch the loop rests this many times as long as the batch took: the cleanup
 * then uses at most half of one database core, and requests are not queued behind it.
 */
export const DEFAULT_REST_RATIO = 1;

export interface BatchedDelete {
  /** The table, as written in SQL (trusted: from the code, never from a request). */
  table: string;
  /** Its primary key column: each batch deletes the keys a `LIMIT`ed select found. */
  key: string;
  /** Which rows go, in SQL over `values` ($1, $2, ...); best served by an index. */
  where: string;
  values: unknown[];
  batchSize?: number;
  /** Rest between batches, as a multiple of the last batch's time (DEFAULT_REST_RATIO). */
  restRatio?: number;
  /** Asked between batches: true stops the loop (shutdown). */
  stopped?: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes every row matching `where`, a batch at a time (`DELETE ... WHERE key IN (SELECT key ...
 * LIMIT n)`), until a batch comes back short: each statement is short, so it never runs into a
 * statement timeout whatever the backlog, holds its row locks briefly and writes its WAL in
 * small pieces; between two, it rests (`restRatio`), so a backlog never takes the database's CPU
 * from requests for long. Returns how many rows were deleted in all.
 */
export async function deleteInBatches(db: Queryable, job: BatchedDelete): Promise<number> {
  const size = job.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`batch size ${size}`);
  const sql = `delete from ${job.table} where ${job.key} in (
    select ${job.key} from ${job.table} where ${job.where} limit ${size})`;
  const rest = job.restRatio ?? DEFAULT_REST_RATIO;
  let total = 0;
  for (;;) {
    const began = performance.now();
    const { rowCount } = await db.query(sql, job.values);
    const deleted = rowCount ?? 0;
    total += deleted;
    if (deleted < size || job.stopped?.()) return total;
    if (rest > 0) await sleep((performance.now() - began) * rest);
    if (job.stopped?.()) return total;
  }
}
