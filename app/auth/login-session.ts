import type { Request } from "express";
import { logIn } from "./passport.js";

export interface SessionPolicy {
  /** Cookie lifetime with "remember me"; without it the cookie lasts until the browser closes. */
  rememberMs: number;
}

/**
 * Logs the user in on a fresh session (Passport regenerates it: the pre-login ID is destroyed in
 * the store), then sets how long the cookie lives and what "your sessions" shows about it.
 */
export async function startUserSession(
  req: Request,
  user: Express.User,
  cookieMaxAge: number | null,
  carry: Partial<Pick<Request["session"], "views" | "client">> = {},
): Promise<void> {
  await logIn(req, user);
  const session = req.session;
  // null: a browser-session cookie; the store still ends the session after the idle timeout.
  session.cookie.maxAge = cookieMaxAge;
  session.client = carry.client ?? {
    userAgent: (req.get("user-agent") ?? "unknown browser").slice(0, 200),
    ip: req.ip ?? "unknown",
    loggedInAt: Date.now(),
  };
  if (carry.views) session.views = carry.views;
}
