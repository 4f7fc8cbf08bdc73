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

// connect-pg-simple's table; the user lives where Passport puts it: sess.passport.user.
export async function listUserSessions(
  pool: pg.Pool,
  userId: string,
  idleTimeoutMs: number,
): Promise<UserSession[]> {
  const { rows } = await pool.query<SessionRow>(
    `select sid, sess, expire from session
      where sess -> 'passport' ->> 'user' = $1 and expire >= to_timestamp($2)
      order by expire desc`,
    [userId, Date.now() / 1000],
  );
  return rows.map((row) => {
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
  });
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
