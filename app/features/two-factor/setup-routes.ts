import type { Request, Response, Router } from "express";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { invalidForm } from "../../http/respond.js";
import { type Views, wantsJson } from "../../http/views.js";
import { newRecoveryCodes } from "./recovery-codes.js";
import type { TwoFactorStore } from "./store.js";
import { newTotpSecret, qrSvg, totpStep, totpUri } from "./totp.js";

declare module "../../session/types.js" {
  interface SessionData {
    /** During setup: the new TOTP secret, sealed, until its first code confirms it. */
    twoFactorSetup: string;
  }
}

/**
 * Turning two-factor on and off, and new recovery codes: all on the security page, all in sudo
 * mode (someone with a stolen session must not bind their own authenticator to the account).
 */
export function twoFactorSetupRoutes(kit: Kit, views: Views, store: TwoFactorStore): Router {
  const { clock, events } = kit;
  // The name the authenticator app lists the account under.
  const issuer = kit.config.appName;
  const router = privateRouter(kit.guards);
  const sudo = kit.guards.sudo("/account/security");

  /** This setup's secret: made at the first visit, kept sealed in the session until confirmed. */
  function setupSecret(req: Request, user: Express.User): string {
    const sealed = req.session.twoFactorSetup;
    const existing = sealed && store.openSetupSecret(user.id, sealed);
    if (existing) return existing;
    const secret = newTotpSecret();
    req.session.twoFactorSetup = store.sealSetupSecret(user.id, secret);
    return secret;
  }

  async function setupPage(req: Request, user: Express.User) {
    const secret = setupSecret(req, user);
    const uri = totpUri(secret, user.email, issuer);
    return { secret, uri, qr: await qrSvg(uri) };
  }

  function renderCodes(req: Request, res: Response, codes: string[], first: boolean) {
    if (wantsJson(req)) return void res.json({ recoveryCodes: codes });
    views.render(res, "recovery-codes", { title: "two-factor.codes.title", codes, first });
  }

  // The QR code and the secret for an authenticator app, and a field for its first code.
  router.get("/account/two-factor/setup", sudo, async (req, res) => {
    const user = userOf(req);
    if (await store.isEnabled(user.id)) return res.redirect(303, "/account/security");
    const { secret, uri, qr } = await setupPage(req, user);
    if (wantsJson(req)) return void res.json({ secret, uri, errors: {} });
    views.render(res, "setup", { title: "two-factor.setup.title", secret, qr, errors: {} });
  });

  // The first code from the app: two-factor is on, and the ten recovery codes are shown once.
  router.post("/account/two-factor/setup", sudo, async (req, res) => {
    const user = userOf(req);
    if (await store.isEnabled(user.id)) return res.redirect(303, "/account/security");
    const sealed = req.session.twoFactorSetup;
    const secret = sealed && store.openSetupSecret(user.id, sealed);
    if (!secret || !sealed) return res.redirect(303, "/account/two-factor/setup");
    const code = typeof req.body?.code === "string" ? req.body.code.replace(/\s/g, "") : "";
    const step = totpStep(secret, code, clock());
    if (step === undefined) {
      const { qr, uri } = await setupPage(req, user);
      const error = invalidForm(
        400,
        { code: "two-factor.errors.wrongSetupCode" },
        { views, view: "setup", locals: { title: "two-factor.setup.title", secret, qr } },
      );
      Object.assign(error.options.json ?? {}, { secret, uri });
      throw error;
    }
    const codes = newRecoveryCodes();
    if (!(await store.enable(user.id, sealed, step, codes))) {
      return res.redirect(303, "/account/security");
    }
    delete req.session.twoFactorSetup;
    req.log?.info({ userId: user.id }, "two-factor turned on");
    await events.record({ userId: user.id, kind: "two_factor_enabled", req });
    renderCodes(req, res, codes, true);
  });

  // New recovery codes: the old ones stop working.
  router.post("/account/two-factor/recovery-codes", sudo, async (req, res) => {
    const user = userOf(req);
    const codes = newRecoveryCodes();
    if (!(await store.replaceRecoveryCodes(user.id, codes))) {
      return res.redirect(303, "/account/security");
    }
    req.log?.info({ userId: user.id }, "recovery codes replaced");
    renderCodes(req, res, codes, false);
  });

  // Two-factor off: the secret and the recovery codes are deleted.
  router.post("/account/two-factor/disable", sudo, async (req, res) => {
    const user = userOf(req);
    await store.disable(user.id);
    req.log?.info({ userId: user.id }, "two-factor turned off");
    await events.record({ userId: user.id, kind: "two_factor_disabled", req });
    req.session.flash = { kind: "info", text: "two-factor.flash.disabled" };
    if (wantsJson(req)) return void res.json({ twoFactor: false });
    res.redirect(303, "/account/security");
  });

  return router;
}
