import type { RequestHandler } from "express";
import { noStore } from "../http/views.js";
import type { Csrf } from "../security/csrf.js";

/**
 * What every page's layout needs: who is logged in, their CSRF token (the logout button), and a
 * one-time message. Nothing here changes the session on a page view (the token was made at
 * login): a logged-in GET writes nothing but touchAfter's expiry, once a minute at most, and
 * anonymous visitors get no session at all. Only a flash message, once shown, is removed.
 */
export const pageLocals =
  (csrf: Csrf): RequestHandler =>
  (req, res, next) => {
    const session = (req as { session?: Express.Request["session"] }).session;
    res.locals.user = req.user
      ? {
          id: req.user.id,
          email: req.user.email,
          emailVerified: Boolean(req.user.emailVerifiedAt),
          locale: req.user.locale,
        }
      : undefined;
    // The one way for a template to put a CSRF token in a form: `<%= it.csrf() %>`. A function,
    // so a page without a form sets no cookie and writes nothing.
    res.locals.csrf = () => csrf.formToken(req, res);
    if (session && req.user) {
      // Whatever is rendered for a logged-in user (their email, a CSRF token) is never cached.
      noStore(res);
      res.locals.csrfToken = csrf.sessionToken(req);
    }
    if (session?.flash) {
      res.locals.flash = session.flash;
      delete session.flash;
    }
    next();
  };
