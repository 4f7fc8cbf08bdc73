import type { Request, Response, Router } from "express";
import type pg from "pg";
import type { Clock } from "../clock.js";
import { type Guards, privateRouter, userOf } from "../core/guards.js";
import type { SecondFactors } from "../core/second-factor.js";
import { invalidForm, limitOnForm, showForm } from "../http/respond.js";
import { type Views, wantsJson } from "../http/views.js";
import type { PasswordLimiter } from "../security/password-limits.js";
import { checkCurrentPassword } from "./current-password.js";
import { renewUserSession } from "./login-session.js";
import { type SessionCookie, sessionEnded } from "./session-cookie.js";
import { type FieldErrors, formValue, safeReturnPath } from "./validation.js";

export interface ConfirmRouteDeps {
  pool: pg.Pool;
  views: Views;
  limiter: PasswordLimiter;
  clock: Clock;
  guards: Guards;
  sessionCookie: SessionCookie;
  /** The account's second factors: asked for after the password, or offered instead of it. */
  secondFactors: SecondFactors;
}

/**
 * GET|POST /account/confirm: sudo mode (core/guards.ts) sends a user here to prove it is them
 * again (the password, and the second factor if on, or a passkey), then back where they were going.
 */
export function confirmRoutes(deps: ConfirmRouteDeps): Router {
  const { pool, views, clock, secondFactors } = deps;
  const router = privateRouter(deps.guards);

  async function page(req: Request, res: Response, errors: FieldErrors) {
    const next = safeReturnPath(req.body?.next ?? req.query.next) ?? "/account/security";
    // The factors' parts read these from the page's locals.
    res.locals.next = next;
    res.locals.errors = errors;
    return {
      views,
      view: "sudo/confirm",
      locals: {
        title: "sudo.title",
        next,
        fields: await secondFactors.parts(req, res, "confirmField"),
        others: await secondFactors.parts(req, res, "confirmPart"),
      },
    };
  }

  const refuse = async (req: Request, res: Response, errors: FieldErrors) =>
    invalidForm(400, errors, await page(req, res, errors));

  // The form: your password, and a code if two-factor is on.
  router.get("/account/confirm", async (req, res) => {
    const form = await page(req, res, {});
    // The page's locals (account/page-locals.ts) hold the session's CSRF token.
    showForm(req, res, form, String(res.locals.csrfToken));
  });

  // Right password (and second factor): sudo mode on a new session ID, then `next`.
  router.post("/account/confirm", async (req, res) => {
    const user = userOf(req);
    const password = formValue(req.body, "password");
    if (password === "") throw await refuse(req, res, { password: "validation.enterPassword" });
    const current = checkCurrentPassword(deps, user.id, password);
    if (!(await limitOnForm(current, "password", (errors) => page(req, res, errors)))) {
      throw await refuse(req, res, { password: "sudo.wrongPassword" });
    }
    for (const factor of await secondFactors.requiredFor(user.id)) {
      const refused =
        factor.confirm &&
        (await limitOnForm(factor.confirm(req, user.id), "code", (errors) =>
          page(req, res, errors),
        ));
      if (refused) throw await refuse(req, res, { [refused.field]: refused.error });
    }
    if (!(await renewUserSession(pool, req, user))) throw sessionEnded(res, deps.sessionCookie);
    req.session.authenticatedAt = clock();
    req.log?.info({ userId: user.id }, "re-authenticated");
    const next = safeReturnPath(req.body?.next) ?? "/account/security";
    if (wantsJson(req)) return void res.json({ confirmed: true, next });
    res.redirect(303, next);
  });

  return router;
}
