import { type Request, type Response, Router } from "express";
import type pg from "pg";
import { recordEvent } from "../../activity/record.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import type { PasswordLimiter } from "../../security/password-limits.js";
import { tooManyAttempts } from "../../security/too-many-attempts.js";
import { requireUser } from "../guards.js";
import { renewUserSession } from "../login-session.js";
import { verifyPassword } from "../passwords.js";
import { findPasswordHash } from "../users.js";
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
  sessionCookieName: string;
}

/**
 * Change of address: the current password, then a confirm link to the new address and a notice
 * to the old one. The address changes only when the link is opened, logged in to the same
 * account. Whether the new address has an account shows on no page: its owner is told by mail.
 */
export function changeEmailRoutes(deps: ChangeEmailDeps): Router {
  const { pool, views, limiter, recovery } = deps;
  const router = Router();

  function renderForm(req: Request, res: Response, status: number, errors: FieldErrors = {}) {
    noStore(res);
    if (wantsJson(req)) {
      res.status(status).json({ errors });
      return;
    }
    views.render(
      res,
      "recovery/change-email",
      {
        title: "Change your email address",
        errors,
        values: { new_email: formValue(req.body, "new_email") },
      },
      status,
    );
  }

  router.get("/account/email", (req, res) => renderForm(req, res, 200));

  router.post("/account/email", async (req, res) => {
    const user = req.user as Express.User;
    const parsed = changeEmailSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderForm(req, res, 400, fieldErrors(parsed.error));
    const { new_email: newEmail, current_password: password } = parsed.data;
    const check = await limiter.currentPasswordByUser.take(user.id);
    if (!check.allowed) {
      return tooManyAttempts(req, res, views, check.retryAfterSeconds, "password attempts");
    }
    const hash = await findPasswordHash(pool, user.id);
    if (!hash || !(await verifyPassword(hash, password))) {
      return renderForm(req, res, 400, { current_password: "That is not your current password." });
    }
    await check.giveBack();
    if (newEmail.toLowerCase() === user.email.toLowerCase()) {
      return renderForm(req, res, 400, { new_email: "That is already your address." });
    }
    const mails = await takeMailPoints(pool, limiter, user, newEmail);
    if (!mails.allowed) return tooManyAttempts(req, res, views, mails.retryAfterSeconds, "mails");
    recovery.requestAddressChange(user.id, newEmail);
    req.log?.info({ userId: user.id }, "change of address requested");
    await recordEvent(pool, { userId: user.id, kind: "email_change_requested", req });
    const text = `We sent a link to ${newEmail}. Your address changes when you open it.`;
    if (wantsJson(req)) return res.json({ message: text });
    req.session.flash = { kind: "info", text };
    res.redirect(303, "/account");
  });

  // The link sent to the new address: opened logged in to the account that asked for it.
  router.get("/email/change/:token", requireUser(deps.sessionCookieName), async (req, res) => {
    const user = req.user as Express.User;
    const owner = await consumeToken(pool, String(req.params.token), "change_email", user.id);
    if (!owner?.email) return invalidLink(req, res, views);
    if ((await changeEmail(pool, user.id, owner.email)) === "taken") {
      return invalidLink(req, res, views);
    }
    // Links sent to the old address (reset, verification) stop working.
    await deleteUserTokens(pool, user.id);
    req.log?.info({ userId: user.id }, "email address changed");
    await recordEvent(pool, { userId: user.id, kind: "email_changed", req });
    const changed = { ...user, email: owner.email, emailVerifiedAt: new Date() };
    if (!(await renewUserSession(pool, req, changed))) return res.redirect(303, "/login?expired=1");
    req.session.flash = { kind: "info", text: `Your email address is now ${owner.email}.` };
    if (wantsJson(req)) return res.json({ email: owner.email });
    res.redirect(303, "/account");
  });

  return router;
}
