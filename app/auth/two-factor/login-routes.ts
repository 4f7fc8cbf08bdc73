import { type Request, type Response, Router } from "express";
import { recordEvent } from "../../activity/record.js";
import type { Clock } from "../../clock.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import type { Csrf } from "../../security/csrf.js";
import type { DeviceCookies } from "../../security/device-cookie.js";
import type { PasswordLimiter } from "../../security/password-limits.js";
import { tooManyAttempts } from "../../security/too-many-attempts.js";
import { hasPasskeys } from "../passkeys/store.js";
import { clearSessionCookie, type SessionCookie } from "../session-cookie.js";
import type { FieldErrors } from "../validation.js";
import { checkSecondFactor } from "./check.js";
import { type CompleteDeps, completeSecondFactor, pendingSecondFactor } from "./pending.js";
import type { TwoFactorStore } from "./store.js";

export interface TwoFactorLoginDeps extends CompleteDeps {
  views: Views;
  csrf: Csrf;
  limiter: PasswordLimiter;
  twoFactor: TwoFactorStore;
  clock: Clock;
  sessionCookie: SessionCookie;
  /** The browser's device lane for the pending user, as at the password step. */
  devices: DeviceCookies;
}

/** The login step after the password, for accounts with two-factor on (pending.ts). */
export function twoFactorLoginRoutes(deps: TwoFactorLoginDeps): Router {
  const { views, csrf, limiter, twoFactor, clock } = deps;
  const router = Router();

  async function render(req: Request, res: Response, status: number, errors: FieldErrors = {}) {
    noStore(res);
    if (wantsJson(req)) {
      res.status(status).json(status === 200 ? { csrfToken: csrf.sessionToken(req) } : { errors });
      return;
    }
    // Not logged in yet: the pending session's own token (the layout only has one for users).
    const token = csrf.sessionToken(req);
    const pending = pendingSecondFactor(req, clock());
    views.render(
      res,
      "two-factor/login",
      {
        title: "Two-factor authentication",
        errors,
        formToken: token,
        csrfToken: token,
        hasPasskeys: pending ? await hasPasskeys(deps.pool, pending.userId) : false,
      },
      status,
    );
  }

  // No pending login (none, or older than 5 minutes): back to the password, saying why.
  async function startOver(req: Request, res: Response) {
    const session = (req as { session?: Request["session"] }).session;
    const expired = Boolean(session?.twoFactor);
    if (expired) {
      await session?.destroy();
      clearSessionCookie(res, deps.sessionCookie);
    }
    noStore(res);
    if (wantsJson(req)) return res.status(401).json({ error: "no_pending_login" });
    res.redirect(303, expired ? "/login?twofactor=1" : "/login");
  }

  // The code form, while a login waits for its second factor.
  router.get("/login/two-factor", async (req, res) => {
    if (req.user) return res.redirect(303, "/account");
    if (!pendingSecondFactor(req, clock())) return startOver(req, res);
    await render(req, res, 200);
  });

  // A TOTP code or a recovery code: logged in on a new session, or the form again.
  router.post("/login/two-factor", async (req, res) => {
    if (req.user) return res.redirect(303, "/account");
    const now = clock();
    const pending = pendingSecondFactor(req, now);
    if (!pending) return startOver(req, res);
    const checked = await checkSecondFactor(
      { store: twoFactor, limiter },
      pending.userId,
      req.body?.code,
      now,
      deps.devices.deviceFor(req, { id: pending.userId, sessionGeneration: pending.generation }),
    );
    if ("retryAfterSeconds" in checked) {
      return tooManyAttempts(req, res, views, checked.retryAfterSeconds, "code attempts");
    }
    if (!checked.ok) {
      req.log?.info({ userId: pending.userId }, "second factor refused");
      return render(req, res, 401, { code: "That code is not right. Try the current one." });
    }
    if (!(await completeSecondFactor(req, res, deps, pending, now))) return startOver(req, res);
    req.log?.info({ userId: pending.userId, method: checked.method }, "user logged in");
    if (checked.method === "recovery code") {
      await recordEvent(deps.pool, { userId: pending.userId, kind: "recovery_code_used", req });
      const left = await twoFactor.remainingRecoveryCodes(pending.userId);
      req.session.flash = {
        kind: "info",
        text: `You used a recovery code; ${left} left. Make new ones on the security page if you need them.`,
      };
    }
    if (wantsJson(req)) return res.json({ user: { id: pending.userId } });
    res.redirect(303, pending.next ?? "/account");
  });

  return router;
}
