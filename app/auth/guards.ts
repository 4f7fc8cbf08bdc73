import type { RequestHandler } from "express";
import { noStore, wantsJson } from "../http/views.js";

/**
 * Private pages: never cached (the back button after logout shows nothing private), and a
 * visitor who is not logged in goes to the login page, which brings them back here after.
 * A request that still carried a session cookie had a session that ended: say so.
 */
export function requireUser(sessionCookieName: string): RequestHandler {
  return (req, res, next) => {
    noStore(res);
    if (req.user) return next();
    if (wantsJson(req)) {
      res.status(401).json({ error: "unauthenticated" });
      return;
    }
    const params = new URLSearchParams({ next: req.originalUrl });
    if (hasCookie(req.headers.cookie, sessionCookieName)) params.set("expired", "1");
    res.redirect(303, `/login?${params}`);
  };
}

function hasCookie(header: string | undefined, name: string): boolean {
  return header?.split(";").some((part) => part.trim().startsWith(`${name}=`)) ?? false;
}
