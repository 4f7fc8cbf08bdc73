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

/**
 * REQUIRE_EMAIL_VERIFICATION=true: a logged-in user whose address is not verified yet reaches
 * only `allowed` (the account page, resend, change of address); every other private page sends
 * them to the account page, which says why. Mounted after requireUser.
 */
export function requireVerifiedEmail(allowed: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const user = req.user;
    const path = `${req.baseUrl}${req.path}`.replace(/\/$/, "");
    if (!user || user.emailVerifiedAt || allowed.has(path)) return next();
    if (wantsJson(req)) {
      res.status(403).json({ error: "email_unverified" });
      return;
    }
    req.session.flash = {
      kind: "error",
      text: "Confirm your email address first: open the link we sent you, or send a new one below.",
    };
    res.redirect(303, "/account");
  };
}
