import { type Request, type Response, Router } from "express";
import type pg from "pg";
import { recordEvent } from "../../activity/record.js";
import type { Clock } from "../../clock.js";
import { type Views, wantsJson } from "../../http/views.js";
import type { RequireRecentAuth } from "../sudo.js";
import type { FieldErrors } from "../validation.js";
import { newRecoveryCodes } from "./recovery-codes.js";
import type { TwoFactorStore } from "./store.js";
import { newTotpSecret, qrSvg, totpStep, totpUri } from "./totp.js";

export interface TwoFactorSetupDeps {
  pool: pg.Pool;
  views: Views;
  twoFactor: TwoFactorStore;
  requireRecentAuth: RequireRecentAuth;
  clock: Clock;
  /** The name the authenticator app lists the account under (APP_NAME). */
  issuer: string;
}

/**
 * Turning two-factor on and off, and new recovery codes: all on the security page, all in sudo
 * mode (someone with a stolen session must not bind their own authenticator to the account).
 */
export function twoFactorSetupRoutes(deps: TwoFactorSetupDeps): Router {
  const { views, twoFactor, requireRecentAuth, clock, issuer } = deps;
  const router = Router();
  const sudo = requireRecentAuth("/account/security");

  /** This setup's secret: made at the first visit, kept sealed in the session until confirmed. */
  function setupSecret(req: Request): string {
    const user = req.user as Express.User;
    const sealed = req.session.twoFactorSetup;
    const existing = sealed && twoFactor.openSetupSecret(user.id, sealed);
    if (existing) return existing;
    const secret = newTotpSecret();
    req.session.twoFactorSetup = twoFactor.sealSetupSecret(user.id, secret);
    return secret;
  }

  async function renderSetup(req: Request, res: Response, status: number, errors: FieldErrors) {
    const user = req.user as Express.User;
    const secret = setupSecret(req);
    if (wantsJson(req)) {
      res.status(status).json({ secret, uri: totpUri(secret, user.email, issuer), errors });
      return;
    }
    const qr = await qrSvg(totpUri(secret, user.email, issuer));
    views.render(
      res,
      "two-factor/setup",
      { title: "Set up two-factor", secret, qr, errors },
      status,
    );
  }

  function renderCodes(req: Request, res: Response, codes: string[], first: boolean) {
    if (wantsJson(req)) return res.json({ recoveryCodes: codes });
    views.render(res, "two-factor/recovery-codes", {
      title: "Your recovery codes",
      codes,
      first,
    });
  }

  // The QR code and the secret for an authenticator app, and a field for its first code.
  router.get("/account/two-factor/setup", sudo, async (req, res) => {
    if (await twoFactor.isEnabled((req.user as Express.User).id)) {
      return res.redirect(303, "/account/security");
    }
    await renderSetup(req, res, 200, {});
  });

  // The first code from the app: two-factor is on, and the ten recovery codes are shown once.
  router.post("/account/two-factor/setup", sudo, async (req, res) => {
    const user = req.user as Express.User;
    if (await twoFactor.isEnabled(user.id)) return res.redirect(303, "/account/security");
    const sealed = req.session.twoFactorSetup;
    const secret = sealed && twoFactor.openSetupSecret(user.id, sealed);
    if (!secret || !sealed) return res.redirect(303, "/account/two-factor/setup");
    const code = typeof req.body?.code === "string" ? req.body.code.replace(/\s/g, "") : "";
    const step = totpStep(secret, code, clock());
    if (step === undefined) {
      return renderSetup(req, res, 400, {
        code: "That code is not right. Enter the 6 digits your app shows now.",
      });
    }
    const codes = newRecoveryCodes();
    if (!(await twoFactor.enable(user.id, sealed, step, codes))) {
      return res.redirect(303, "/account/security");
    }
    delete req.session.twoFactorSetup;
    req.log?.info({ userId: user.id }, "two-factor turned on");
    await recordEvent(deps.pool, { userId: user.id, kind: "two_factor_enabled", req });
    renderCodes(req, res, codes, true);
  });

  // New recovery codes: the old ones stop working.
  router.post("/account/two-factor/recovery-codes", sudo, async (req, res) => {
    const user = req.user as Express.User;
    const codes = newRecoveryCodes();
    if (!(await twoFactor.replaceRecoveryCodes(user.id, codes))) {
      return res.redirect(303, "/account/security");
    }
    req.log?.info({ userId: user.id }, "recovery codes replaced");
    renderCodes(req, res, codes, false);
  });

  // Two-factor off: the secret and the recovery codes are deleted.
  router.post("/account/two-factor/disable", sudo, async (req, res) => {
    const user = req.user as Express.User;
    await twoFactor.disable(user.id);
    req.log?.info({ userId: user.id }, "two-factor turned off");
    await recordEvent(deps.pool, { userId: user.id, kind: "two_factor_disabled", req });
    req.session.flash = { kind: "info", text: "Two-factor authentication is off." };
    if (wantsJson(req)) return res.json({ twoFactor: false });
    res.redirect(303, "/account/security");
  });

  return router;
}
