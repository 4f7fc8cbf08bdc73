import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Request, type Response, Router } from "express";
import type { Feature } from "../../core/feature.js";
import { userOf } from "../../core/guards.js";
import { timeView } from "../../http/time-format.js";
import { localeOf } from "../../i18n/index.js";
import { passkeyAccountRoutes } from "./account-routes.js";
import { relyingParty } from "./relying-party.js";
import { passkeySignInRoutes } from "./sign-in-routes.js";
import { hasPasskeys, listPasskeys, passkeySignInMethod } from "./store.js";

// SimpleWebAuthn's browser bundle (UMD, the global SimpleWebAuthnBrowser), served as it ships
// from /static/vendor: no CDN, and no build step between `npm ci` and `npm run dev`.
const browserBundle = join(
  dirname(createRequire(import.meta.url).resolve("@simplewebauthn/browser")),
  "..",
  "dist",
  "bundle",
  "index.umd.min.js",
);
const SCRIPTS = ["/static/vendor/simplewebauthn-browser.js", "/static/passkeys.js"];

/**
 * Passkeys (WebAuthn, on SimpleWebAuthn): a way to sign in on its own (user verification makes
 * it two factors in one), a second factor after a password, and a way to confirm it's you.
 */
export const passkeys: Feature = {
  name: "passkeys",
  setup(kit) {
    const views = kit.views.at(new URL("./views/", import.meta.url));
    const ceremonies = {
      pool: kit.pool,
      rp: relyingParty(kit.config.appUrl, kit.config.appName),
      clock: kit.clock,
    };
    const maxAge = kit.config.isProduction ? "1h" : 0;
    const assets = Router().get("/static/vendor/simplewebauthn-browser.js", (_req, res, next) => {
      res.sendFile(browserBundle, { maxAge }, (err) => err && next(err));
    });
    // A passkey button, on a page whose user (logged in, or with a sign-in pending) has one.
    const button = (id: string, view: string, whose: (req: Request) => string | undefined) => ({
      id,
      scripts: SCRIPTS,
      async render(req: Request, res: Response) {
        const userId = whose(req);
        if (!userId || !(await hasPasskeys(kit.pool, userId))) return undefined;
        return views.html(res, view);
      },
    });
    return {
      assets,
      publicDir: fileURLToPath(new URL("./public/", import.meta.url)),
      routes: Router()
        .use(passkeySignInRoutes(kit, ceremonies))
        .use(passkeyAccountRoutes(kit, ceremonies)),
      signInMethod: passkeySignInMethod,
      secondFactor: {
        id: "passkey",
        // Offered beside the others, never required on its own: a passkey sign-in is both factors.
        required: async () => false,
        pendingPart: button(
          "passkey-second-factor",
          "pending-part",
          (req) => kit.secondFactors.pending(req)?.userId,
        ),
        confirmPart: button("passkey-confirm", "confirm-part", (req) => req.user?.id),
      },
      signInButtons: [
        {
          id: "passkey-sign-in",
          scripts: SCRIPTS,
          render: async (_req, res) =>
            res.locals.signInPage === "login" ? views.html(res, "sign-in-button") : undefined,
        },
      ],
      securitySections: [
        {
          id: "passkeys",
          scripts: SCRIPTS,
          async render(req, res) {
            const now = new Date();
            const locale = localeOf(req);
            const list = await listPasskeys(kit.pool, userOf(req).id);
            return views.html(res, "security-section", {
              passkeys: list.map((passkey) => ({
                ...passkey,
                created: timeView(passkey.createdAt, now, locale),
                lastUsed: passkey.lastUsedAt && timeView(passkey.lastUsedAt, now, locale),
              })),
            });
          },
          json: async (req) => ({
            passkeys: await listPasskeys(kit.pool, userOf(req).id),
          }),
        },
      ],
      eventKinds: {
        passkey_added: "passkeys.events.added",
        passkey_removed: "passkeys.events.removed",
      },
    };
  },
};
