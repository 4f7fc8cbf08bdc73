import type { Request, Response, Router } from "express";
import type pg from "pg";
import type { Events } from "../../core/events.js";
import { type Guards, privateRouter, userOf } from "../../core/guards.js";
import { AppError, invalidForm, tooManyAttempts } from "../../http/respond.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import { localeOf, msg, translator } from "../../i18n/index.js";
import type { PasswordLimiter } from "../../security/password-limits.js";
import { checkCurrentPassword } from "../current-password.js";
import { renewUserSession } from "../login-session.js";
import { type SessionCookie, sessionEnded } from "../session-cookie.js";
import { changeEmailSchema, type FieldErrors, fieldErrors, formValue } from "../validation.js";
import { changeEmail } from "./addresses.js";
import { invalidLink } from "./pages.js";
import type { Recovery } from "./service.js";
import { consumeToken, deleteUserTokens } from "./tokens.js";
import { takeMailPoints } from "./verification.js";

export interface ChangeEmailDeps {
  pool: pg.Pool;
  views: Views;
  limiter: PasswordLimiter;
  recovery: Recovery;
  events: Events;
  guards: Guards;
  sessionCookie: SessionCookie;
}

/**
 * Change of address: the current password, then a confirm link to the new address and a notice
 * to the old one. The address changes only when the link is opened, logged in to the same
 * account. Whether the new address has an account shows on no page: its owner is told by mail.
 */
export function changeEmailRoutes(deps: ChangeEmailDeps): Router {
  const { pool, views, limiter, recovery } = deps;
  // Open to a user whose address is not verified yet: a mistyped address is fixed here.
  const router = privateRouter(deps.guards, { unverified: true });
  const sudo = deps.guards.sudo("/account/email");

  function renderForm(
    req: Request,
    res: Response,
    status: number,
    errors: FieldErrors = {},
    limit?: AppError,
  ) {
    noStore(res);
    const page = {
      views,
      view: "recovery/change-email",
      locals: {
        title: "recovery.change.title",
        values: { new_email: formValue(req.body, "new_email") },
      },
    };
    if (status >= 400) throw invalidForm(status, errors, page, limit);
    if (wantsJson(req)) return void res.json({ errors });
    views.render(res, page.view, { ...page.locals, errors }, status);
  }

  // Changing the address is sudo mode (GET and POST; resending a link is not).
  router.get("/account/email", sudo, (req, res) => renderForm(req, res, 200));

  router.post("/account/email", sudo, async (req, res) => {
    const user = userOf(req);
    const parsed = changeEmailSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderForm(req, res, 400, fieldErrors(parsed.error));
    const { new_email: newEmail, current_password: password } = parsed.data;
    const limited = (limit: AppError) =>
      renderForm(req, res, 429, { current_password: limit.text }, limit);
    const right = await checkCurrentPassword(deps, user.id, password).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 429) return limited(error);
      throw error;
    });
    if (!right) {
      return renderForm(req, res, 400, { current_password: "security.password.wrong" });
    }
    if (newEmail.toLowerCase() === user.email.toLowerCase()) {
      return renderForm(req, res, 400, { new_email: "recovery.change.same" });
    }
    const mails = await takeMailPoints(pool, limiter, user, newEmail);
    if (!mails.allowed) {
      const limit = tooManyAttempts(mails.retryAfterSeconds, "mails");
      return renderForm(req, res, 429, { new_email: limit.text }, limit);
    }
    recovery.requestAddressChange(user.id, newEmail, localeOf(req));
    req.log?.info({ userId: user.id }, "change of address requested");
    await deps.events.record({ userId: user.id, kind: "email_change_requested", req });
    const text = msg("recovery.change.sent", { email: newEmail });
    if (wantsJson(req)) return res.json({ message: translator(localeOf(req))(text) });
    req.session.flash = { kind: "info", text, mailSent: true };
    res.redirect(303, "/account");
  });

  // The link sent to the new address: opened logged in to the account that asked for it.
  router.get("/email/change/:token", async (req, res) => {
    const user = userOf(req);
    const owner = await consumeToken(pool, String(req.params.token), "change_email", user.id);
    if (!owner?.email) throw invalidLink(views);
    if ((await changeEmail(pool, user.id, owner.email)) === "taken") {
      throw invalidLink(views);
    }
    // Links sent to the old address (reset, verification) stop working.
    await deleteUserTokens(pool, user.id);
    req.log?.info({ userId: user.id }, "email address changed");
    await deps.events.record({ userId: user.id, kind: "email_changed", req });
    const changed = { ...user, email: owner.email, emailVerifiedAt: new Date() };
    if (!(await renewUserSession(pool, req, changed))) throw sessionEnded(res, deps.sessionCookie);
    req.session.flash = {
      kind: "info",
      text: msg("recovery.change.done", { email: owner.email }),
    };
    if (wantsJson(req)) return res.json({ email: owner.email });
    res.redirect(303, "/account");
  });

  return router;
}
