import type { RequestHandler } from "express";
import { noStore } from "../http/views.js";
import type { Csrf } from "../security/csrf.js";

/** The pages whose views are counted: a fixed list, so made-up paths cannot grow the session. */
const COUNTED_PAGES = new Set(["/", "/account"]);

/**
 * What every page's layout needs: who is logged in, their CSRF token (the logout button), and a
 * one-time message. Also counts page views per page for logged-in users (the README's example).
 * Anonymous visitors get nothing written, so public pages create no session.
 */
export const pageLocals =
  (csrf: Csrf): RequestHandler =>
  (req, res, next) => {
    const session = (req as { session?: Express.Request["session"] }).session;
    res.locals.user = req.user
      ? { id: req.user.id, email: req.user.email, emailVerified: Boolean(req.user.emailVerifiedAt) }
      : undefined;
    if (session && req.user) {
      // Whatever is rendered for a logged-in user (their email, a CSRF token) is never cached.
      noStore(res);
      res.locals.csrfToken = csrf.sessionToken(req);
      if (
        req.method === "GET" &&
        COUNTED_PAGES.has(req.path) &&
        req.accepts(["html", "json"]) === "html"
      ) {
        session.views = { ...session.views, [req.path]: (session.views?.[req.path] ?? 0) + 1 };
      }
    }
    if (session?.flash) {
      res.locals.flash = session.flash;
      delete session.flash;
    }
    next();
  };
