import { Router } from "express";
import type pg from "pg";
import type { Views } from "../../http/views.js";
import type { Csrf } from "../../security/csrf.js";
import type { PasswordLimiter } from "../../security/password-limits.js";
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
  sessionCookieName: string;
}

/** Pages an unverified user still reaches with REQUIRE_EMAIL_VERIFICATION=true. */
export const UNVERIFIED_ALLOWED = new Set(["/account", "/account/email", "/account/email/resend"]);

/**
 * Account recovery and verification by mail: forgot/reset password, verify the address, change
 * it. /account/* routes here are behind requireUser (app.ts).
 */
export function recoveryRoutes(deps: RecoveryRouteDeps): Router {
  const router = Router();
  router.use(passwordResetRoutes(deps));
  router.use(verificationRoutes(deps));
  router.use(changeEmailRoutes(deps));
  return router;
}
