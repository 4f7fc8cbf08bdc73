import type { Request } from "express";
import type pg from "pg";
import { claimSessionRow } from "../account/sessions.js";
import { issueSessionCsrfToken } from "../security/csrf.js";
import { hashStoreKey } from "../session/index.js";
import { logIn } from "./passport.js";

export interface SessionPolicy {
  /** Cookie lifetime with "remember me"; without it the cookie lasts until the browser closes. */
  rememberMs: number;
}

type Carry = Partial<Pick<Request["session"], "client" | "authenticatedAt">> & {
  createdAt?: number;
  /** The rest of the session's data (a cart, a feature's state), kept as it was. */
  data?: Record<string, unknown>;
};

/** What a login sets anew on a session; everything else a renewal keeps. */
const LOGIN_FIELDS = new Set([
  "cookie",
  "passport",
  "generation",
  "client",
  "authenticatedAt",
  "csrfToken",
]);

/**
 * Logs the user in on a fresh session (regenerated: the pre-login ID is destroyed in the store),
 * then sets how long the cookie lives, what "your sessions" shows about it and its CSRF token.
 * Nothing is written here: the session middleware saves the new session once, before the
 * response goes out.
 */
export async function startUserSession(
  req: Request,
  user: Express.User,
  cookieMaxAge: number | null,
  carry: Carry = {},
): Promise<void> {
  await logIn(req, user);
  const session = req.session;
  session.generation = user.sessionGeneration;
  // null: a browser-session cookie; the store still ends the session after the idle timeout.
  session.cookie.maxAge = cookieMaxAge;
  session.client = carry.client ?? {
    userAgent: (req.get("user-agent") ?? "unknown browser").slice(0, 200),
    ip: req.ip ?? "unknown",
    loggedInAt: Date.now(),
  };
  // A login proves who the user is now (sudo mode); a renewal keeps the time it had.
  session.authenticatedAt = carry.authenticatedAt ?? Date.now();
  if (carry.data) Object.assign(session, carry.data);
  // Renewing the ID of a logged-in session must not restart its absolute lifetime.
  if (carry.createdAt !== undefined) session.cookie.createdAt = carry.createdAt;
  issueSessionCsrfToken(session);
}

/**
 * A new session ID for a user who stays logged in (the "regenerate" button, a password change):
 * same data (whatever the app and its features keep in the session), cookie lifetime, client
 * details and absolute-lifetime clock, so renewing the ID cannot be used to outlive `maxLifetime`.
 *
 * The old row is deleted first, atomically: if it was already gone (revoked from another
 * session while this request was in flight), the session is not renewed but destroyed, and
 * false is returned: a revoked session cannot escape by renewing itself.
 */
export async function renewUserSession(
  pool: pg.Pool,
  req: Request,
  user: Express.User,
): Promise<boolean> {
  if (!(await claimSessionRow(pool, hashStoreKey(req.sessionID)))) {
    await req.session.destroy();
    return false;
  }
  const { client, cookie, authenticatedAt } = req.session;
  // The session's data are its enumerable properties (what the store keeps); the ID, the request
  // and the methods are not.
  const data = Object.fromEntries(
    Object.entries(req.session).filter(([key]) => !LOGIN_FIELDS.has(key)),
  );
  await startUserSession(req, user, cookie.originalMaxAge, {
    data,
    ...(client ? { client } : {}),
    // 0 (long ago) rather than now: renewing the ID must not open sudo mode.
    authenticatedAt: authenticatedAt ?? 0,
    ...(cookie.createdAt === undefined ? {} : { createdAt: cookie.createdAt }),
  });
  return true;
}
