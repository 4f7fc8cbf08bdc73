import type pg from "pg";

/** One of a user's sessions, as "your sessions" lists it. */
export interface UserSession {
  /** The store key (a SHA-256 of the session ID: the ID itself is never stored). */
  key: string;
  userAgent: string;
  ip: string;
  loggedInAt: Date | undefined;
  /** When the store last saw it: its expiry minus the lifetime it had then. */
  lastSeen: Date | undefined;
  expires: Date;
}

interface SessionRow {
  sid: string;
  // As stored: JSON of any shape.
  sess: {
    cookie?: { originalMaxAge?: unknown };
    client?: { userAgent?: unknown; ip?: unknown; loggedInAt?: unknown };
  };
  expire: Date;
}

/**
 * A Date for a number of ms since the epoch, or undefined when it is not one a Date can hold:
 * session rows are JSON, and a row of unexpected shape must not break the page that lists it.
 */
export function validDate(ms: unknown): Date | undefined {
  if (typeof ms !== "number") return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.valueOf()) ? undefined : date;
}

/**
 * How recently a row was used, in SQL: its expiry minus its cookie's lifetime, i.e. when it was
 * last written, for a "remember me" session; a browser-session cookie has no lifetime, so its
 * row counts by its expiry (last written + the idle timeout: such a session is always recent).
 * Rows are JSON of any shape: a lifetime that is not a sane number counts as none. Immutable, so
 * it is indexed with the user (IDX_session_user_seen, migrations/011): "your sessions" reads the
 * newest in index order, however many the user has.
 */
const RECENCY_SQL = `(expire - (case
    when json_typeof(sess -> 'cookie' -> 'originalMaxAge') = 'number'
      then least(greatest((sess -> 'cookie' ->> 'originalMaxAge')::numeric, 0), 3e12)::float8
    else 0 end) * interval '1 millisecond')`;

/** How many sessions /account lists; the rest are a click away (/account/sessions). */
export const SESSIONS_ON_ACCOUNT_PAGE = 20;

export interface SessionPage {
  /** Live sessions: this request's first (on the first page), then the most recently used. */
  sessions: UserSession[];
  /** Whether more come after these. */
  more: boolean;
}

/**
 * `limit` of the user's live sessions from position `offset` (0: this request's session, which
 * comes first, so its store expiry is at hand without another query; then the others, most
 * recently used first), and whether there are more: one statement, whose cost is the page's,
 * not the number of sessions. connect-pg-simple's table; the user lives where Passport puts it:
 * sess.passport.user.
 */
export async function listUserSessions(
  pool: pg.Pool,
  userId: string,
  options: { idleTimeoutMs: number; currentKey: string; limit: number; offset?: number },
): Promise<SessionPage> {
  const offset = options.offset ?? 0;
  const first = offset === 0;
  // One more than the page, to know whether there is a next one.
  const others = options.limit + 1 - (first ? 1 : 0);
  const { rows } = await pool.query<SessionRow>(
    `(select sid, sess, expire from session
       where $5 and sid = $3 and expire >= to_timestamp($2))
     union all
     (select sid, sess, expire from session
       where sess -> 'passport' ->> 'user' = $1 and expire >= to_timestamp($2) and sid <> $3
       order by ${RECENCY_SQL} desc, sid
       limit $4 offset $6)`,
    [userId, Date.now() / 1000, options.currentKey, others, first, Math.max(0, offset - 1)],
  );
  const more = rows.length > options.limit;
  return {
    sessions: rows.slice(0, options.limit).map((row) => userSession(row, options.idleTimeoutMs)),
    more,
  };
}

function userSession(row: SessionRow, idleTimeoutMs: number): UserSession {
  const client = row.sess.client ?? {};
  const maxAge = row.sess.cookie?.originalMaxAge;
  const lifetime = typeof maxAge === "number" ? maxAge : idleTimeoutMs;
  return {
    key: row.sid,
    userAgent: typeof client.userAgent === "string" ? client.userAgent : "unknown browser",
    ip: typeof client.ip === "string" ? client.ip : "unknown",
    loggedInAt: validDate(client.loggedInAt),
    lastSeen: validDate(row.expire.valueOf() - lifetime),
    expires: row.expire,
  };
}

/**
 * Keeps the user at `max` live sessions once the session being logged in (`newKey`, not stored
 * yet) is counted: every other live session past the `max - 1` most recently used is deleted.
 * Returns how many were ended.
 */
export async function endSessionsOverLimit(
  pool: pg.Pool,
  userId: string,
  options: { newKey: string; max: number },
): Promise<number> {
  const { rowCount } = await pool.query(
    `delete from session where sid in (
       select sid from session
        where sess -> 'passport' ->> 'user' = $1 and expire >= to_timestamp($2) and sid <> $3
        order by ${RECENCY_SQL} desc, sid
        offset $4)`,
    [userId, Date.now() / 1000, options.newKey, Math.max(0, options.max - 1)],
  );
  return rowCount ?? 0;
}

/** Ends one of the user's sessions; someone else's key does nothing. */
export async function revokeUserSession(
  pool: pg.Pool,
  userId: string,
  key: string,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    "delete from session where sid = $1 and sess -> 'passport' ->> 'user' = $2",
    [key, userId],
  );
  return (rowCount ?? 0) > 0;
}

/** Ends every session of the user except the one with `keepKey`. */
export async function revokeOtherSessions(
  pool: pg.Pool,
  userId: string,
  keepKey: string,
): Promise<number> {
  const { rowCount } = await pool.query(
    "delete from session where sess -> 'passport' ->> 'user' = $1 and sid <> $2",
    [userId, keepKey],
  );
  return rowCount ?? 0;
}

/** Ends every session of the user. */
export async function revokeAllSessions(pool: pg.Pool, userId: string): Promise<number> {
  const { rowCount } = await pool.query(
    "delete from session where sess -> 'passport' ->> 'user' = $1",
    [userId],
  );
  return rowCount ?? 0;
}

/**
 * Deletes one session row and says whether it was still there: of two requests racing to end
 * the same session (a revoke and a renewal), exactly one sees true.
 */
export async function claimSessionRow(pool: pg.Pool, key: string): Promise<boolean> {
  const { rowCount } = await pool.query("delete from session where sid = $1", [key]);
  return (rowCount ?? 0) > 0;
}

/** The store's expiry for one session: the server-side idle deadline. */
export async function sessionExpiry(pool: pg.Pool, key: string): Promise<Date | undefined> {
  const { rows } = await pool.query<{ expire: Date }>("select expire from session where sid = $1", [
    key,
  ]);
  return rows[0]?.expire;
}
