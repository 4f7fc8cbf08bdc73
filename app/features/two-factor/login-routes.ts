import { type Request, type Response, Router } from "express";
import type { FieldErrors } from "../../auth/validation.js";
import type { Kit } from "../../core/feature.js";
import { AppError, invalidForm, showForm, tooManyAttempts } from "../../http/respond.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import { msg } from "../../i18n/index.js";
import { checkSecondFactor, typedCode } from "./check.js";
import type { TwoFactorStore } from "./store.js";

/** The login step after the first factor, for accounts with two-factor on. */
export function twoFactorLoginRoutes(kit: Kit, views: Views, store: TwoFactorStore): Router {
  const { csrf, limiter, secondFactors } = kit;
  const router = Router();

  // The form, with whatever other second factor the account has beside it (a passkey button).
  async function page(req: Request, res: Response) {
    noStore(res);
    const token = csrf.sessionToken(req);
    const others = await secondFactors.parts(req, res, "pendingPart");
    return {
      views,
      view: "login",
      locals: {
        title: "two-factor.login.title",
        // Not logged in yet: the pending session's own token (the layout only has one for users).
        formToken: token,
        csrfToken: token,
        others: others.html,
        scripts: others.scripts,
      },
    };
  }

  // No pending login (none, or older than 5 minutes): back to the password, saying why.
  async function startOver(req: Request, res: Response) {
    const session = (req as { session?: Request["session"] }).session;
    const expired = Boolean(session?.twoFactor);
    if (expired) {
      await session?.destroy();
      res.clearCookie(kit.sessionCookie.name, {
        path: "/",
        httpOnly: true,
        secure: kit.sessionCookie.secure,
        sameSite: kit.sessionCookie.sameSite,
      });
    }
    noStore(res);
    if (wantsJson(req)) {
      throw new AppError(401, "no_pending_login", "two-factor.errors.noPendingLogin", {
        json: { next: "/login?twofactor=1" },
      });
    }
    res.redirect(303, expired ? "/login?twofactor=1" : "/login");
  }

  // Another answer on this step (a double click, a second tab) took it first: its own reply carries
  // the session's cookie, so this one leaves the cookie alone and sends the browser to the step's
  // page, which shows what came of it (logged in, or the form again).
  async function answeredMeanwhile(req: Request, res: Response) {
    // Its row is gone already; ending this request's copy keeps the session middleware from
    // sending the old ID's cookie (rolling) over the winner's.
    await req.session.destroy();
    noStore(res);
    if (wantsJson(req)) {
      throw new AppError(409, "answered_meanwhile", "two-factor.errors.answeredMeanwhile", {
        json: { next: "/login/two-factor" },
      });
    }
    res.redirect(303, "/login/two-factor");
  }

  // The code form, while a login waits for its second factor.
  router.get("/login/two-factor", async (req, res) => {
    if (req.user) return res.redirect(303, "/account");
    if (!secondFactors.pending(req)) return startOver(req, res);
    showForm(req, res, await page(req, res), csrf.sessionToken(req));
  });

  // A TOTP code or a recovery code: logged in on a new session, or the form again.
  router.post("/login/two-factor", async (req, res) => {
    if (req.user) return res.redirect(303, "/account");
    const pending = secondFactors.pending(req);
    if (!pending) return startOver(req, res);
    // A recovery code has a field of its own (a phone shows letters for it); `code` takes one too.
    const { field, typed } = typedCode(req);
    // One answer at a time per pending step: one that loses a race spends no recovery code.
    if (!(await kit.signIn.takePending(req))) return answeredMeanwhile(req, res);
    const checked = await checkSecondFactor(
      { store, limiter },
      pending.userId,
      typed,
      kit.clock(),
      kit.devices.deviceFor(req, { id: pending.userId, sessionGeneration: pending.generation }),
    );
    if (!checked.ok) await kit.signIn.givePendingBack(req, pending);
    if ("retryAfterSeconds" in checked) {
      const limit = tooManyAttempts(checked.retryAfterSeconds, "codeAttempts");
      throw invalidForm(429, { [field]: limit.text }, await page(req, res), limit);
    }
    if (!checked.ok) {
      req.log?.info({ userId: pending.userId }, "second factor refused");
      const errors: FieldErrors = {
        [field]:
          field === "code"
            ? "two-factor.errors.wrongCodeLogin"
            : "two-factor.errors.wrongRecoveryCode",
      };
      throw invalidForm(401, errors, await page(req, res));
    }
    const recovery = checked.method === "recovery code";
    const left = recovery ? await store.remainingRecoveryCodes(pending.userId) : 0;
    const flash = {
      kind: "info" as const,
      text: msg("two-factor.flash.recoveryCodeUsed", { count: left }),
    };
    if (
      !(await kit.signIn.secondFactor(req, res, pending, {
        taken: true,
        ...(recovery ? { flash } : {}),
      }))
    ) {
      return startOver(req, res);
    }
    if (recovery) {
      await kit.events.record({ userId: pending.userId, kind: "recovery_code_used", req });
    }
  });

  return router;
}
