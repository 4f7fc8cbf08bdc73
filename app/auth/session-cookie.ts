import type { Response } from "express";
import { AppError } from "../http/respond.js";

/** The session cookie's name and the attributes it is set with (app.ts decides them). */
export interface SessionCookie {
  name: string;
  secure: boolean;
  sameSite: "lax";
}

/** Expires the session cookie in the browser, with the attributes it was set with. */
export function clearSessionCookie(res: Response, cookie: SessionCookie): void {
  res.clearCookie(cookie.name, {
    path: "/",
    httpOnly: true,
    secure: cookie.secure,
    sameSite: cookie.sameSite,
  });
}

/**
 * This session ended (revoked from another one, or by a password change elsewhere) while the
 * request was in flight: the cookie is cleared, and the login page says why (a script gets 401).
 */
export function sessionEnded(res: Response, cookie: SessionCookie): AppError {
  clearSessionCookie(res, cookie);
  return new AppError(401, "session_ended", "Your session has ended. Log in again to continue.", {
    redirect: "/login?expired=1",
    json: { next: "/login?expired=1" },
  });
}
