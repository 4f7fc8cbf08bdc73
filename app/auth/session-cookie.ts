import type { Response } from "express";

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
