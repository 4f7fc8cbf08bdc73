import { type Request, type Response, Router } from "express";
import type pg from "pg";
import { describeEvent } from "../activity/describe.js";
import { listEvents } from "../activity/list.js";
import { recordEvent } from "../activity/record.js";
import { listPasskeys } from "../auth/passkeys/store.js";
import { hashPassword, verifyPassword } from "../auth/passwords.js";
import { clearSessionCookie, type SessionCookie } from "../auth/session-cookie.js";
import { endAllSessions, endOtherSessions } from "../auth/session-generation.js";
import type { RequireRecentAuth } from "../auth/sudo.js";
import type { TwoFactorStore } from "../auth/two-factor/store.js";
import { deleteUser, findPasswordHash, updatePasswordHash } from "../auth/users.js";
import {
  changePasswordSchema,
  type FieldErrors,
  fieldErrors,
  formValue,
} from "../auth/validation.js";
import { timeView } from "../http/time-format.js";
import { noStore, type Views, wantsJson } from "../http/views.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import type { PasswordLimiter } from "../security/password-limits.js";
import { tooManyAttempts } from "../security/too-many-attempts.js";

export interface SecurityRouteDeps {
  pool: pg.Pool;
  limiter: PasswordLimiter;
  views: Views;
  sessionCookie: SessionCookie;
  twoFactor: TwoFactorStore;
  requireRecentAuth: RequireRecentAuth;
  /** Every password change: older mailed links stop working, a notice goes to the address. */
  afterPasswordChange(userId: string): Promise<void>;
  /** A password change makes older device cookies unknown; this browser's is renewed. */
  devices: DeviceCookies;
}

/**
 * The security page: password, two-factor, passkeys and deleting the account.
 * Every change made from it needs sudo mode (auth/sudo.ts).
 */
export function securityRoutes(deps: SecurityRouteDeps): Router {
  const { pool, views, twoFactor } = deps;
  const router = Router();
  const sudo = deps.requireRecentAuth("/account/security");

  async function renderSecurity(
    req: Request,
    res: Response,
    status = 200,
    errors: FieldErrors = {},
  ) {
    const user = req.user as Express.User;
    const enabled = await twoFactor.isEnabled(user.id);
    const recoveryCodesLeft = enabled ? await twoFactor.remainingRecoveryCodes(user.id) : 0;
    const events = await listEvents(pool, user.id);
    const passkeys = await listPasskeys(pool, user.id);
    if (wantsJson(req)) {
      res
        .status(status)
        .json({ twoFactor: { enabled, recoveryCodesLeft }, passkeys, activity: events, errors });
      return;
    }
    const now = new Date();
    const activity = events.map((event) => describeEvent(event, now));
    views.render(
      res,
      "account/security",
      {
        title: "Security",
        twoFactor: { enabled, recoveryCodesLeft },
        passkeys: passkeys.map((passkey) => ({
          ...passkey,
          created: timeView(passkey.createdAt, now),
          lastUsed: passkey.lastUsedAt && timeView(passkey.lastUsedAt, now),
        })),
        activity,
        errors,
      },
      status,
    );
  }

  // This session was ended (revoked from another one) while the request was in flight.
  const sessionEnded = (res: Response) => {
    clearSessionCookie(res, deps.sessionCookie);
    res.redirect(303, "/login?expired=1");
  };

  router.get("/account/security", async (req, res) => {
    noStore(res);
    await renderSecurity(req, res);
  });

  // Change password: needs the current one; this session is renewed, every other one ends.
  router.post("/account/password", sudo, async (req, res) => {
    const user = req.user as Express.User;
    const parsed = changePasswordSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderSecurity(req, res, 400, fieldErrors(parsed.error));
    // A stolen session must not become a free password-guessing oracle: counted per user.
    const attempt = await deps.limiter.currentPasswordByUser.take(user.id);
    if (!attempt.allowed) {
      return tooManyAttempts(req, res, views, attempt.retryAfterSeconds, "password attempts");
    }
    const hash = await findPasswordHash(pool, user.id);
    if (!hash || !(await verifyPassword(hash, parsed.data.current_password))) {
      return renderSecurity(req, res, 400, {
        current_password: "That is not your current password.",
      });
    }
    await attempt.giveBack();
    await updatePasswordHash(pool, user.id, await hashPassword(parsed.data.new_password));
    await recordEvent(pool, { userId: user.id, kind: "password_changed", req });
    await deps.afterPasswordChange(user.id);
    if ((await endOtherSessions(pool, req)) === false) return sessionEnded(res);
    // Device cookies are bound to the generation just bumped: only this browser's goes on.
    deps.devices.carryOver(req, res, user, req.user as Express.User);
    req.log?.info({ userId: user.id }, "password changed");
    req.session.flash = {
      kind: "info",
      text: "Password changed. Every other session was logged out.",
    };
    res.redirect(303, "/account/security");
  });

  // Delete the account: typed-in email to confirm; the user, their sessions, two-factor secret
  // and recovery codes (foreign keys, ON DELETE CASCADE) are gone; the cookie is cleared.
  router.post("/account/delete", sudo, async (req, res) => {
    const user = req.user as Express.User;
    const typed = formValue(req.body, "email").trim();
    if (typed === "" || typed.toLowerCase() !== user.email.toLowerCase()) {
      return renderSecurity(req, res, 400, {
        email: "Type your email address exactly as shown to delete your account.",
      });
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
