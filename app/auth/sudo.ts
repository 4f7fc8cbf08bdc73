import { type Request, type RequestHandler, type Response, Router } from "express";
import type pg from "pg";
import type { Clock } from "../clock.js";
import { noStore, type Views, wantsJson } from "../http/views.js";
import { SUDO_WINDOW_MS } from "../policy.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import type { PasswordLimiter } from "../security/password-limits.js";
import { tooManyAttempts } from "../security/too-many-attempts.js";
import { renewUserSession } from "./login-session.js";
import { hasPasskeys } from "./passkeys/store.js";
import { verifyPassword } from "./passwords.js";
import { checkSecondFactor } from "./two-factor/check.js";
import type { TwoFactorStore } from "./two-factor/store.js";
import { findPasswordHash } from "./users.js";
import { type FieldErrors, formValue, safeReturnPath } from "./validation.js";

/**
 * Sudo mode (OWASP: re-authenticate before sensitive changes). Changing the password or email
 * address, turning two-factor off, new recovery codes, passkeys and deleting the account need a
 * login or a confirmation (`/account/confirm`: the password, and the second factor if on)
 * within RECENT_AUTH_MS. `req.session.authenticatedAt` holds when that was.
 */
export const RECENT_AUTH_MS = SUDO_WINDOW_MS;

export function isRecentlyAuthenticated(req: Request, nowMs: number): boolean {
  const at = req.session.authenticatedAt;
  return typeof at === "number" && nowMs - at >= 0 && nowMs - at <= RECENT_AUTH_MS;
}

/** The confirmation page for `next` (a path on this site). */
export const confirmPath = (next: string) => `/account/confirm?${new URLSearchParams({ next })}`;

export type RequireRecentAuth = (returnTo?: string) => RequestHandler;

/**
 * `requireRecentAuth()` guards a route (after requireUser). Without a recent authentication a
 * GET goes to /account/confirm and comes back to itself; a POST is never replayed: the user is
 * sent to confirm and then back to `returnTo`, the page its form is on.
 */
export function recentAuthGuard(clock: Clock): RequireRecentAuth {
  return (returnTo = "/account/security") =>
    (req, res, next) => {
      if (isRecentlyAuthenticated(req, clock())) return next();
      noStore(res);
      const back = req.method === "GET" ? (safeReturnPath(req.originalUrl) ?? returnTo) : returnTo;
      if (wantsJson(req)) {
        res.status(403).json({ error: "reauthentication_required", confirm: confirmPath(back) });
        return;
      }
      res.redirect(303, confirmPath(back));
    };
}

export interface ConfirmRouteDeps {
  pool: pg.Pool;
  views: Views;
  limiter: PasswordLimiter;
  twoFactor: TwoFactorStore;
  clock: Clock;
  /** A browser holding the account's device cookie counts its codes in its own lane. */
  devices: DeviceCookies;
}

/** GET|POST /account/confirm: prove it is you again, then back to where you were going. */
export function confirmRoutes(deps: ConfirmRouteDeps): Router {
  const { pool, views, limiter, twoFactor, clock } = deps;
  const router = Router();

  async function render(req: Request, res: Response, status: number, errors: FieldErrors = {}) {
    const user = req.user as Express.User;
    const next = safeReturnPath(req.body?.next ?? req.query.next) ?? "/account/security";
    if (wantsJson(req)) {
      res.status(status).json({ errors });
      return;
    }
    views.render(
      res,
      "sudo/confirm",
      {
        title: "Confirm it's you",
        errors,
        next,
        needsCode: await twoFactor.isEnabled(user.id),
        hasPasskeys: await hasPasskeys(pool, user.id),
      },
      status,
    );
  }

  // The form: your password, and a code if two-factor is on.
  router.get("/account/confirm", async (req, res) => {
    await render(req, res, 200);
  });

  // Right password (and code): sudo mode for RECENT_AUTH_MS, on a new session ID, then `next`.
  router.post("/account/confirm", async (req, res) => {
    const user = req.user as Express.User;
    const password = formValue(req.body, "password");
    if (password === "") return render(req, res, 400, { password: "Enter your password." });
    // Counted as every check of a logged-in user's password is.
    const attempt = await limiter.currentPasswordByUser.take(user.id);
    if (!attempt.allowed) {
      return tooManyAttempts(req, res, views, attempt.retryAfterSeconds, "password attempts");
    }
    const hash = await findPasswordHash(pool, user.id);
    if (!hash || !(await verifyPassword(hash, password))) {
      return render(req, res, 400, { password: "That is not your password." });
    }
    await attempt.giveBack();
    if (await twoFactor.isEnabled(user.id)) {
      const checked = await checkSecondFactor(
        { store: twoFactor, limiter },
        user.id,
        req.body?.code,
        clock(),
        deps.devices.deviceFor(req, user),
      );
      if ("retryAfterSeconds" in checked) {
        return tooManyAttempts(req, res, views, checked.retryAfterSeconds, "code attempts");
      }
      if (!checked.ok) return render(req, res, 400, { code: "That code is not right." });
    }
    if (!(await renewUserSession(pool, req, user))) {
      return res.redirect(303, "/login?expired=1");
    }
    req.session.authenticatedAt = clock();
    req.log?.info({ userId: user.id }, "re-authenticated");
    const next = safeReturnPath(req.body?.next) ?? "/account/security";
    if (wantsJson(req)) return res.json({ confirmed: true, next });
    res.redirect(303, next);
  });

  return router;
}
