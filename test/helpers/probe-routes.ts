import type { Request } from "express";
import type pg from "pg";
import type { AppDeps } from "../../app/app.js";
import { renewUserSession } from "../../app/auth/login-session.js";
import { privateRouter } from "../../app/core/guards.js";
import { wantsJson } from "../../app/http/views.js";

/**
 * Private POST routes for tests that need "a logged-in POST" and nothing more (CSRF, concurrency,
 * fuzzing, sudo mode...), so they depend on no feature of the app. Mounted through the app's
 * `extraRoutes` hook (startTestApp({ probeRoutes: true }), or createApp's extraRoutes), so after
 * the app's own routes, behind its session and CSRF protection: the probe checks no token itself.
 *
 * Declared on the app's own private router (core/guards.ts), so its guards stand in front of them:
 * logged out, 401 JSON or 303 to /login; with REQUIRE_EMAIL_VERIFICATION, the wait for a verified
 * address. Reached without a login anyway, the probe throws (a 500): a test never passes because
 * the app's guard stopped working.
 */

/** Writes to the session (a count and a one-time message), so the store is written. */
export const PROBE_WRITE = "/account/probe/write";
/** A new session ID for the same login, as the app renews it (renewUserSession). */
export const PROBE_REGENERATE = "/account/probe/regenerate";
/** The one-time message PROBE_WRITE leaves for the next page (after a form's POST). */
export const PROBE_WRITTEN = "The probe wrote to the session.";

declare module "../../app/session/types.js" {
  interface SessionData {
    /** How many times PROBE_WRITE ran on this session. */
    probeWrites: number;
  }
}

function loggedInUser(req: Request): Express.User {
  if (!req.user) throw new Error(`${req.path} was reached without a login: the guard failed`);
  return req.user;
}

/** The probe routes as `extraRoutes` for an app on `pool` (the renewal deletes the old row). */
export function probeRoutes(pool: pg.Pool): NonNullable<AppDeps["extraRoutes"]> {
  return ({ guards }) =>
    privateRouter(guards)
      .post(PROBE_WRITE, (req, res) => {
        loggedInUser(req);
        const writes = (req.session.probeWrites ?? 0) + 1;
        req.session.probeWrites = writes;
        if (wantsJson(req)) {
          res.json({ writes });
          return;
        }
        req.session.flash = { kind: "info", text: PROBE_WRITTEN };
        res.redirect(303, "/account");
      })
      .post(PROBE_REGENERATE, async (req, res) => {
        const renewed = await renewUserSession(pool, req, loggedInUser(req));
        // Revoked meanwhile: the app's renewal destroyed the session instead.
        if (!renewed) {
          res.redirect(303, "/login?expired=1");
          return;
        }
        if (wantsJson(req)) {
          res.json({ renewed });
          return;
        }
        res.redirect(303, "/account");
      });
}
