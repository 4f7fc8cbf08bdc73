import type { Request, Response, Router } from "express";
import type pg from "pg";
import { checkCurrentPassword } from "../auth/current-password.js";
import { hashPassword } from "../auth/passwords.js";
import { clearSessionCookie, type SessionCookie, sessionEnded } from "../auth/session-cookie.js";
import { endAllSessions, endOtherSessions } from "../auth/session-generation.js";
import { deleteUser, updatePasswordHash } from "../auth/users.js";
import {
  changePasswordSchema,
  type FieldErrors,
  fieldErrors,
  formValue,
} from "../auth/validation.js";
import type { Events } from "../core/events.js";
import { type Guards, privateRouter, userOf } from "../core/guards.js";
import { type PagePart, partsJson, renderParts } from "../core/page-parts.js";
import { invalidForm, limitOnForm } from "../http/respond.js";
import { type Views, wantsJson } from "../http/views.js";
import { localeOf } from "../i18n/index.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import type { PasswordLimiter } from "../security/password-limits.js";

export interface SecurityRouteDeps {
  pool: pg.Pool;
  limiter: PasswordLimiter;
  views: Views;
  sessionCookie: SessionCookie;
  guards: Guards;
  events: Events;
  /** The features' panels, between the password and "Delete account". */
  sections: readonly PagePart[];
  /**
   * Every password change: older mailed links stop working, a notice goes to the address (in
   * the user's language, else `locale`: the request's).
   */
  afterPasswordChange(userId: string, locale: string): Promise<void>;
  /** A password change makes older device cookies unknown; this browser's is renewed. */
  devices: DeviceCookies;
}

/**
 * The security page: the password, the features' panels (two-factor, passkeys, activity) and
 * deleting the account. Every change made from it needs sudo mode.
 */
export function securityRoutes(deps: SecurityRouteDeps): Router {
  const { pool, views, events } = deps;
  const router = privateRouter(deps.guards);
  const sudo = deps.guards.sudo("/account/security");

  async function page(req: Request, res: Response) {
    return {
      views,
      view: "account/security",
      locals: { title: "security.title", parts: await renderParts(req, res, deps.sections) },
    };
  }

  const refuse = async (req: Request, res: Response, errors: FieldErrors) =>
    invalidForm(400, errors, await page(req, res));

  router.get("/account/security", async (req, res) => {
    if (wantsJson(req)) return void res.json(await partsJson(req, deps.sections));
    const form = await page(req, res);
    views.render(res, form.view, { ...form.locals, errors: {} });
  });

  // Change password: needs the current one; this session is renewed, every other one ends.
  router.post("/account/password", sudo, async (req, res) => {
    const user = userOf(req);
    const parsed = changePasswordSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw await refuse(req, res, fieldErrors(parsed.error));
    const current = checkCurrentPassword(deps, user.id, parsed.data.current_password);
    if (!(await limitOnForm(current, "current_password", () => page(req, res)))) {
      throw await refuse(req, res, { current_password: "security.password.wrong" });
    }
    await updatePasswordHash(pool, user.id, await hashPassword(parsed.data.new_password));
    await events.record({ userId: user.id, kind: "password_changed", req });
    await deps.afterPasswordChange(user.id, localeOf(req));
    if ((await endOtherSessions(pool, req)) === false) throw sessionEnded(res, deps.sessionCookie);
    // Device cookies are bound to the generation just bumped: only this browser's goes on.
    deps.devices.carryOver(req, res, user, userOf(req));
    req.log?.info({ userId: user.id }, "password changed");
    req.session.flash = { kind: "info", text: "security.password.changed" };
    res.redirect(303, "/account/security");
  });

  // Delete the account: typed-in email to confirm; the user, their sessions, two-factor secret
  // and recovery codes (foreign keys, ON DELETE CASCADE) are gone; the cookie is cleared.
  router.post("/account/delete", sudo, async (req, res) => {
    const user = userOf(req);
    const typed = formValue(req.body, "email").trim();
    if (typed === "" || typed.toLowerCase() !== user.email.toLowerCase()) {
      throw await refuse(req, res, { email: "security.delete.mismatch" });
    }
    await endAllSessions(pool, user.id);
    await deleteUser(pool, user.id);
    await req.session.destroy();
    clearSessionCookie(res, deps.sessionCookie);
    req.log?.info({ userId: user.id }, "account deleted");
    if (wantsJson(req)) return res.json({ deleted: true });
    res.redirect(303, "/?deleted=1");
  });

  return router;
}
