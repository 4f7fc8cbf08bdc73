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
 * When a row was last seen, in SQL: its expiry minus the lifetime its cookie had then (the idle
 * timeout, `$idle` in ms, for a browser-session cookie), as `lastSeen` below. Rows are JSON of
 * any shape: a lifetime that is not a sane number counts as the idle timeout.
 */
const lastSeenSql = (idle: string) => `expire - (case
    when json_typeof(sess -> 'cookie' -> 'originalMaxAge') = 'number'
      then least(greatest((sess -> 'cookie' ->> 'originalMaxAge')::numeric, 0), 3e12)::float8
    else ${idle}::float8 end) * interval '1 millisecond'`;

/** How many sessions /account lists; the rest are a click away (/account/sessions). */
export const SESSIONS_ON_ACCOUNT_PAGE = 20;

export interface SessionPage {
  /** Live sessions, this request's first, then by last seen, newest first. */
  sessions: UserSession[];
  /** How many live sessions the user has in all. */
  total: number;
}

/**
 * One page of the user's live sessions, in one statement (the count comes with the rows): the
 * current session first (so its store expiry is at hand without another query), then the most
 * recently seen. connect-pg-simple's table; the user lives where Passport puts it:
 * sess.passport.user (indexed: IDX_session_user).
 */
export async function listUserSessions(
  pool: pg.Pool,
  userId: string,
  options: { idleTimeoutMs: number; currentKey: string; limit: number; offset?: number },
): Promise<SessionPage> {
  const { rows } = await pool.query<SessionRow & { total: string }>(
    `select sid, sess, expire, count(*) over () as total from session
      where sess -> 'passport' ->> 'user' = $1 and expire >= to_timestamp($2)
      order by sid = $3 desc, ${lastSeenSql("$4")} desc, sid
      limit $5 offset $6`,
    [
      userId,
      Date.now() / 1000,
      options.currentKey,
      options.idleTimeoutMs,
      options.limit,
      options.offset ?? 0,
    ],
  );
  const total = rows[0] ? Number(rows[0].total) : await countUserSessions(pool, userId);
  return { sessions: rows.map((row) => userSession(row, options.idleTimeoutMs)), total };
}

/** How many live sessions the user has (a page past the last one has no rows to say it). */
async function countUserSessions(pool: pg.Pool, userId: string): Promise<number> {
  const { rows } = await pool.query<{ total: string }>(
    `select count(*) as total from session
      where sess -> 'passport' ->> 'user' = $1 and expire >= to_timestamp($2)`,
    [userId, Date.now() / 1000],
  );
  return Number(rows[0]?.total ?? 0);
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
 * yet) is counted: every other live session past the `max - 1` most recently seen is deleted.
 * Returns how many were ended.
 */
export async function endSessionsOverLimit(
  pool: pg.Pool,
  userId: string,
  options: { newKey: string; max: number; idleTimeoutMs: number },
): Promise<number> {
  const { rowCount } = await pool.query(
    `delete from session where sid in (
       select sid from session
        where sess -> 'passport' ->> 'user' = $1 and expire >= to_timestamp($2) and sid <> $3
        order by ${lastSeenSql("$4")} desc, sid
        offset $5)`,
    [
      userId,
      Date.now() / 1000,
      options.newKey,
      options.idleTimeoutMs,
      Math.max(0, options.max - 1),
    ],
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
