import { type Request, type Response, Router } from "express";
import type pg from "pg";
import type { Events } from "../../core/events.js";
import type { SignInMethods, UnprovenAccessRemoval } from "../../core/sign-in-methods.js";
import { renderAnonymousForm } from "../../http/anonymous-form.js";
import { type AppError, tooManyAttempts } from "../../http/respond.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import { localeOf, translator } from "../../i18n/index.js";
import type { Csrf } from "../../security/csrf.js";
import { type PasswordLimiter, takeAll } from "../../security/password-limits.js";
import { hashPassword } from "../passwords.js";
import { endAllSessions } from "../session-generation.js";
import { loginAccount, updatePasswordHash } from "../users.js";
import {
  type FieldErrors,
  fieldErrors,
  forgotPasswordSchema,
  formValue,
  resetPasswordSchema,
} from "../validation.js";
import { proveAddress } from "./address-proof.js";
import { invalidLink } from "./pages.js";
import type { Recovery } from "./service.js";
import { consumeToken, tokenIsValid } from "./tokens.js";

export interface PasswordResetDeps {
  pool: pg.Pool;
  views: Views;
  csrf: Csrf;
  limiter: PasswordLimiter;
  recovery: Recovery;
  events: Events;
  signInMethods: SignInMethods;
  unprovenAccess: readonly UnprovenAccessRemoval[];
}

/** A catalogue key: the same answer whether or not the address has an account. */
export const FORGOT_SENT = "recovery.forgot.sent";

/**
 * Forgot password → a link by mail → a new password. Both forms are shown to visitors who are
 * not logged in: their CSRF tokens are stateless (no session row for looking at them).
 */
export function passwordResetRoutes(deps: PasswordResetDeps): Router {
  const { pool, views, csrf, limiter, recovery } = deps;
  const router = Router();

  function renderForgot(
    req: Request,
    res: Response,
    status: number,
    errors: FieldErrors = {},
    sent = false,
    limit?: AppError,
  ) {
    if (sent && wantsJson(req)) {
      noStore(res);
      res.status(status).json({ message: translator(localeOf(req))(FORGOT_SENT) });
      return;
    }
    renderAnonymousForm(views, csrf, req, res, {
      view: "recovery/forgot",
      status,
      errors,
      limit,
      locals: {
        title: "recovery.forgot.title",
        sent: sent ? FORGOT_SENT : "",
        values: { email: sent ? "" : formValue(req.body, "email") },
      },
    });
  }

  function renderReset(req: Request, res: Response, status: number, errors: FieldErrors = {}) {
    renderAnonymousForm(views, csrf, req, res, {
      view: "recovery/reset",
      status,
      errors,
      locals: { title: "recovery.reset.title" },
    });
  }

  // The form: your address. Sending it needs the database: while it is down, the 503 page says
  // so at once, rather than a form that fails.
  router.get("/password/forgot", async (req, res) => {
    await pool.query("select 1");
    renderForgot(req, res, 200);
  });

  // Ask for a link. The same page, status and work whether or not the address has an account:
  // one lookup, one point on each limit (the address, the account or the unknown address as its
  // own), one queued job; the mail is made and sent after the answer.
  router.post("/password/forgot", async (req, res) => {
    const parsed = forgotPasswordSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderForgot(req, res, 400, fieldErrors(parsed.error));
    const account = await loginAccount(pool, parsed.data.email);
    const attempt = await takeAll([
      [limiter.mailByAddress, account.addressKey],
      [limiter.mailByAccount, account.key],
    ]);
    if (!attempt.allowed) {
      const limit = tooManyAttempts(attempt.retryAfterSeconds, "resetRequests");
      return renderForgot(req, res, 429, { email: limit.text }, false, limit);
    }
    recovery.sendPasswordReset(account.userId, localeOf(req));
    req.log?.info("password reset requested");
    renderForgot(req, res, 200, {}, true);
  });

  // The link in the mail: a form for the new password (the token is used up only by the POST,
  // so a mail scanner opening the link spends nothing).
  router.get("/password/reset/:token", async (req, res) => {
    if (!(await tokenIsValid(pool, req.params.token, "reset"))) throw invalidLink(views);
    renderReset(req, res, 200);
  });

  // Set the new password. The token is used up atomically (of two submits, one wins); every
  // session of the user ends, and they log in with the new password.
  router.post("/password/reset/:token", async (req, res) => {
    const parsed = resetPasswordSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      if (!(await tokenIsValid(pool, req.params.token, "reset"))) throw invalidLink(views);
      return renderReset(req, res, 400, fieldErrors(parsed.error));
    }
    const owner = await consumeToken(pool, req.params.token, "reset");
    if (!owner) throw invalidLink(views);
    await updatePasswordHash(pool, owner.userId, await hashPassword(parsed.data.password));
    await deps.events.record({ userId: owner.userId, kind: "password_reset", req });
    // The link reached the user's mailbox: the address is theirs, and if nobody had proven it
    // before, whatever was added until now goes (address-proof.ts).
    await proveAddress(deps, req, owner.userId, { keepSession: false });
    await endAllSessions(pool, owner.userId);
    await recovery.afterPasswordChange(owner.userId, localeOf(req));
    req.log?.info({ userId: owner.userId }, "password reset");
    noStore(res);
    if (wantsJson(req)) return res.json({ reset: true });
    res.redirect(303, "/login?reset=1");
  });

  return router;
}
