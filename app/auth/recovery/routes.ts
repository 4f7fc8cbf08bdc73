import { Router } from "express";
import type pg from "pg";
import type { Events } from "../../core/events.js";
import type { Guards } from "../../core/guards.js";
import type { SignInMethods, UnprovenAccessRemoval } from "../../core/sign-in-methods.js";
import type { Views } from "../../http/views.js";
import type { Csrf } from "../../security/csrf.js";
import type { PasswordLimiter } from "../../security/password-limits.js";
import type { SessionCookie } from "../session-cookie.js";
import { changeEmailRoutes } from "./change-email.js";
import { passwordResetRoutes } from "./password-reset.js";
import type { Recovery } from "./service.js";
import { verificationRoutes } from "./verification.js";

export interface RecoveryRouteDeps {
  pool: pg.Pool;
  views: Views;
  csrf: Csrf;
  limiter: PasswordLimiter;
  recovery: Recovery;
  events: Events;
  guards: Guards;
  sessionCookie: SessionCookie;
  signInMethods: SignInMethods;
  /** What the features added that the first proof of the address removes (address-proof.ts). */
  unprovenAccess: readonly UnprovenAccessRemoval[];
}

/**
 * Account recovery and verification by mail: forgot/reset password, verify the address, change
 * it. The routes for a logged-in user declare it (core/guards.ts).
 */
export function recoveryRoutes(deps: RecoveryRouteDeps): Router {
  const router = Router();
  router.use(passwordResetRoutes(deps));
  router.use(verificationRoutes(deps));
  router.use(changeEmailRoutes(deps));
  return router;
}
