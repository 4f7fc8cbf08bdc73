import type { Request } from "express";
import type pg from "pg";
import { revokeAllSessions, revokeOtherSessions } from "../account/sessions.js";
import { userOf } from "../core/guards.js";
import { hashStoreKey } from "../session/index.js";
import { renewUserSession } from "./login-session.js";

/**
 * Where a user's sessions end, for every reason (password change or reset, "log out everywhere
 * else", account deletion), so the reasons cannot drift apart. Two layers:
 * - the rows are deleted, and a request in flight on one of them cannot write it back (the
 *   store saves loaded sessions with an UPDATE: app/db/session-store.ts);
 * - the user's session generation is bumped first, and a session logged in under an older one
 *   logs nobody in (passport.ts, deserializeUser), whatever was saved.
 */
export async function bumpSessionGeneration(pool: pg.Pool, userId: string): Promise<number> {
  const { rows } = await pool.query<{ session_generation: number }>(
    `update users set session_generation = session_generation + 1, updated_at = now()
      where id = $1 returning session_generation`,
    [userId],
  );
  return rows[0]?.session_generation ?? 0;
}

/**
 * Ends every other session of the logged-in user; this one goes on under a new ID and the new
 * generation. False when this session itself had been ended meanwhile (then it is logged out).
 */
export async function endOtherSessions(pool: pg.Pool, req: Request): Promise<number | false> {
  const user = userOf(req);
  const sessionGeneration = await bumpSessionGeneration(pool, user.id);
  const renewed = await renewUserSession(pool, req, { ...user, sessionGeneration });
  if (!renewed) return false;
  return revokeOtherSessions(pool, user.id, hashStoreKey(req.sessionID));
}

/** Ends every session of the user, this request's included (reset, account deletion). */
export async function endAllSessions(pool: pg.Pool, userId: string): Promise<void> {
  await bumpSessionGeneration(pool, userId);
  await revokeAllSessions(pool, userId);
}
