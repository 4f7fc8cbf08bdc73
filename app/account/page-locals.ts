import type { RequestHandler } from "express";
import { csrfTokenFor } from "../security/csrf.js";

/**
 * What every page's layout needs: who is logged in, their CSRF token (the logout button), and a
 * one-time message. Also counts page views per path for logged-in users (the README's example).
 * Anonymous visitors get nothing written, so public pages create no session.
 */
const MAX_COUNTED_PATHS = 20;

export const pageLocals: RequestHandler = (req, res, next) => {
  const session = (req as { session?: Express.Request["session"] }).session;
  res.locals.user = req.user ? { id: req.user.id, email: req.user.email } : undefined;
  if (session && req.user) {
    res.locals.csrfToken = csrfTokenFor(req);
    if (req.method === "GET" && req.accepts(["html", "json"]) === "html") {
      session.views ??= {};
      const views = session.views;
      // Bounded: random 404 paths must not grow the session without end.
      if (req.path in views || Object.keys(views).length < MAX_COUNTED_PATHS) {
        views[req.path] = (views[req.path] ?? 0) + 1;
      }
    }
  }
  if (session?.flash) {
    res.locals.flash = session.flash;
    delete session.flash;
  }
  next();
};
