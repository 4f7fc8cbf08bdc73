import pg from "pg";
import type { Logger } from "../logger.js";

export type PoolKind = "embedded" | "server";

// Embedded: PGlite is a single backend, so one connection (see embedded.ts); it cannot be
// unreachable for long, so no timeouts beyond the wait for that one connection.
// Server: timeouts short enough that an outage answers requests with an error (503) within 5 s
// instead of hanging them.
const SETTINGS: Record<PoolKind, pg.PoolConfig> = {
  embedded: { max: 1, connectionTimeoutMillis: 10_000 },
  server: {
    max: 10,
    connectionTimeoutMillis: 3_000,
    statement_timeout: 5_000,
    // How long the client waits for any answer. Below 5 s: a server that hangs (accepts, never
    // answers) must still get the request its 503 within 5 s; statement_timeout still ends the
    // abandoned statement on a live server.
    query_timeout: 4_500,
    keepAlive: true,
  },
};

/** The one Pool the whole app shares. */
export function createPool(connectionString: string, kind: PoolKind, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    application_name: "passport-session-starter",
    ...SETTINGS[kind],
  });
  // An idle client losing its connection (database restart) emits here; unhandled, it would
  // crash the process. The Pool drops that client and connects a new one on the next query.
  pool.on("error", (error) => logger.warn({ err: error }, "idle database connection lost"));
  return pool;
}
