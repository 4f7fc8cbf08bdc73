import type pg from "pg";
import { tooManyAttempts } from "../http/respond.js";
import type { PasswordLimiter } from "../security/password-limits.js";
import { verifyPassword } from "./passwords.js";
import { findPasswordHash } from "./users.js";

/**
 * A logged-in user's password, checked again (sudo mode, a password change, a change of
 * address). A stolen session must not become a free password-guessing oracle: every check is
 * counted per user before it is made (429 past the limit, thrown) and given back when right.
 * False for a wrong password, or an account without one.
 */
export async function checkCurrentPassword(
  deps: { pool: pg.Pool; limiter: PasswordLimiter },
  userId: string,
  password: string,
): Promise<boolean> {
  const attempt = await deps.limiter.currentPasswordByUser.take(userId);
  if (!attempt.allowed) throw tooManyAttempts(attempt.retryAfterSeconds, "passwordAttempts");
  const hash = await findPasswordHash(deps.pool, userId);
  if (!hash || !(await verifyPassword(hash, password))) return false;
  await attempt.giveBack();
  return true;
}
