/** What bench/session.ts and the server child (bench/server.ts) share. */

/**
 * ceiling: no session middleware, only the one SELECT a store's get makes; floor: the ceiling
 * plus what any express-session drop-in must do on a rolling read (see server.ts).
 */
export type Impl = "ours" | "express-session" | "bare" | "ceiling" | "floor";
export type StoreKind = "memory" | "pg";
export type Route = "none" | "read" | "write";

/** The bench's own session table (created by connect-pg-simple, truncated between rows). */
export const BENCH_TABLE = "bench_session";

/** connect-pg-simple's `get` query on the bench table, as it sends it. */
export const GET_SQL = `SELECT sess FROM "${BENCH_TABLE}" WHERE sid = $1 AND expire >= to_timestamp($2)`;

/** Same secret for both middlewares, so the cookies have the same shape and cost to verify. */
export const SESSION_SECRET = "bench-secret-not-for-production-0123456789";

/** GET /__stats: counters since the server started. */
export interface ServerStats {
  /** pg Pool#query calls (the store's queries). */
  queries: number;
  /** Requests served on the measured routes. */
  requests: number;
  /** CPU time this process has used (user + system), microseconds. */
  cpuMicros: number;
}

/** Child → parent over IPC. */
export interface ReadyMessage {
  type: "ready";
  port: number;
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "ready" &&
    typeof (message as { port?: unknown }).port === "number"
  );
}

/** The Postgres for the connect-pg-simple rows, unless DATABASE_URL names another. */
export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";
