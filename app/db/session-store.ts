import connectPgSimple from "connect-pg-simple";
import type pg from "pg";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import session from "../session/index.js";

const PgStore = connectPgSimple(session);
export type SessionStore = InstanceType<typeof PgStore>;

/** Sessions in the `session` table (migrations/002_session.sql), on the app's one Pool. */
export function createSessionStore(pool: pg.Pool, config: Config, logger: Logger): SessionStore {
  return new PgStore({
    pool,
    tableName: "session",
    // The table belongs to the migrations, never to the store.
    createTableIfMissing: false,
    // The expiry of a session whose cookie has none (logged in without "remember me"): the
    // idle timeout, pushed back by every touch.
    ttl: Math.ceil(config.sessionIdleTimeoutMs / 1000),
    // connect-pg-simple takes seconds, and reads 0 as "use the default": off must be false.
    pruneSessionInterval:
      config.sessionPruneIntervalMs > 0 ? config.sessionPruneIntervalMs / 1000 : false,
    // Called as errorLog("Failed to prune sessions:", err): keep the Error where pino serialises it.
    errorLog: (...args: unknown[]) =>
      logger.error(
        { err: args.find((arg) => arg instanceof Error) },
        args.filter((arg) => typeof arg === "string").join(" ") || "session store error",
      ),
  });
}
