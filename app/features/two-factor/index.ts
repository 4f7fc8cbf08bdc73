import { fileURLToPath } from "node:url";
import { Router } from "express";
import type { Feature } from "../../core/feature.js";
import { userOf } from "../../core/guards.js";
import { tooManyAttempts } from "../../http/respond.js";
import { createSecretBox } from "../../security/secrets-at-rest.js";
import { checkSecondFactor, typedCode } from "./check.js";
import { twoFactorLoginRoutes } from "./login-routes.js";
import { twoFactorSetupRoutes } from "./setup-routes.js";
import { twoFactorStore } from "./store.js";

/**
 * Two-factor authentication: a TOTP code from an authenticator app (or a recovery code) after
 * the first factor, and in sudo mode after the password. Turned on and off on the security page.
 */
export const twoFactor: Feature = {
  name: "two-factor",
  setup(kit) {
    const store = twoFactorStore(kit.pool, createSecretBox(kit.config.dataEncryptionKey));
    const views = kit.views.at(new URL("./views/", import.meta.url));
    return {
      publicDir: fileURLToPath(new URL("./public/", import.meta.url)),
      routes: Router()
        .use(twoFactorLoginRoutes(kit, views, store))
        .use(twoFactorSetupRoutes(kit, views, store)),
      secondFactor: {
        id: "totp",
        page: "/login/two-factor",
        required: (userId) => store.isEnabled(userId),
        async confirm(req, userId) {
          const { field, typed } = typedCode(req);
          const checked = await checkSecondFactor(
            { store, limiter: kit.limiter },
            userId,
            typed,
            kit.clock(),
            kit.devices.deviceFor(req, req.user ?? { id: userId, sessionGeneration: -1 }),
          );
          if ("retryAfterSeconds" in checked) {
            throw tooManyAttempts(checked.retryAfterSeconds, "codeAttempts");
          }
          if (checked.ok) return undefined;
          return field === "code"
            ? { field, error: "two-factor.errors.wrongCode" }
            : { field, error: "two-factor.errors.wrongRecoveryCode" };
        },
        confirmField: {
          id: "two-factor-code",
          render: async (req, res) =>
            req.user && (await store.isEnabled(req.user.id))
              ? views.html(res, "confirm-field")
              : undefined,
        },
        async removeAll(client, userId) {
          await client.query("delete from recovery_codes where user_id = $1", [userId]);
          const { rowCount } = await client.query("delete from two_factor where user_id = $1", [
            userId,
          ]);
          return rowCount ? "two-factor.removed" : undefined;
        },
      },
      securitySections: [
        {
          id: "two-factor",
          async render(req, res) {
            const userId = userOf(req).id;
            const enabled = await store.isEnabled(userId);
            const left = enabled ? await store.remainingRecoveryCodes(userId) : 0;
            return views.html(res, "security-section", { enabled, left });
          },
          async json(req) {
            const userId = userOf(req).id;
            const enabled = await store.isEnabled(userId);
            const recoveryCodesLeft = enabled ? await store.remainingRecoveryCodes(userId) : 0;
            return { twoFactor: { enabled, recoveryCodesLeft } };
          },
        },
      ],
      eventKinds: {
        two_factor_enabled: "two-factor.events.enabled",
        two_factor_disabled: "two-factor.events.disabled",
        recovery_code_used: "two-factor.events.recoveryCodeUsed",
      },
    };
  },
};
