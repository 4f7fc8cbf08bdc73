import connectPgSimple from "connect-pg-simple";
import type pg from "pg";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import session from "../session/index.js";

const PgStore = connectPgSimple(session);

/**
 * connect-pg-simple's store with one addition: `update`, which the session middleware uses to
 * save a session it loaded. connect-pg-simple's `set` is an insert-or-update, so a request still
 * in flight when its session was destroyed (logout, revoke, "log out everywhere else") would
 * write the row back; an UPDATE cannot. Same table, same columns, same expiry rule as `set`.
 */
class AppSessionStore extends PgStore {
  readonly #ttlSeconds: number;

  constructor(options: ConstructorParameters<typeof PgStore>[0] & { ttl: number }) {
    super(options);
    this.#ttlSeconds = options.ttl;
  }

  override update(
    sid: string,
    sess: { cookie?: { expires?: unknown } },
    fn?: (err?: unknown) => void,
  ) {
    // As connect-pg-simple's set: the cookie's expiry, or now + ttl for a browser-session cookie.
    const expires = sess.cookie?.expires;
    const expireAt = expires
      ? Math.ceil(new Date(expires as string | Date).valueOf() / 1000)
      : Math.ceil(Date.now() / 1000 + this.#ttlSeconds);
    this.query(
      `UPDATE ${this.quotedTable()} SET sess = $1, expire = to_timestamp($2) WHERE sid = $3`,
      [sess, expireAt, sid],
      (err) => fn?.(err),
    );
  }
}

export type SessionStore = AppSessionStore;

/** Sessions in the `session` table (migrations/002_session.sql), on the app's one Pool. */
export function createSessionStore(
  pool: pg.Pool,
  config: Pick<Config, "sessionIdleTimeoutMs">,
  logger: Logger,
): SessionStore {
  return new AppSessionStore({
    pool,
    tableName: "session",
    // The table belongs to the migrations, never to the store.
    createTableIfMissing: false,
    // The expiry of a session whose cookie has none (logged in without "remember me"): the
    // idle timeout, pushed back by every touch.
    ttl: Math.ceil(config.sessionIdleTimeoutMs / 1000),
    // Expired sessions are deleted by the maintenance runner (app/maintenance/), in batches, on
    // its own connection, every SESSION_PRUNE_INTERVAL_MINUTES: never by the store's own timer,
    // one unbatched DELETE on the request Pool.
    pruneSessionInterval: false,
    // Called as errorLog("Failed to ...:", err): keep the Error where pino serialises it.
    errorLog: (...args: unknown[]) =>
      logger.error(
        { err: args.find((arg) => arg instanceof Error) },
        args.filter((arg) => typeof arg === "string").join(" ") || "session store error",
      ),
  });
}
