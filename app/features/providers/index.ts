import type { Feature } from "../../core/feature.js";
import { userOf } from "../../core/guards.js";
import { cookieName } from "../../security/cookie-names.js";
import { oidcClient } from "./client.js";
import { flowCookies } from "./flow-cookie.js";
import { identitySignInMethod, listIdentities } from "./identities.js";
import { oidcRoutes } from "./routes.js";

/**
 * Sign in with another provider: today one OpenID Connect provider (OIDC_ISSUER, OIDC_CLIENT_ID,
 * OIDC_CLIENT_SECRET, OIDC_NAME). "Continue with <name>" on the log-in and sign-up pages, "Link"
 * and "Unlink" on the account page. Off while no provider is configured.
 */
export const providers: Feature = {
  name: "providers",
  setup(kit) {
    const { config } = kit;
    const settings = config.oidc;
    if (!settings) return undefined;
    const views = kit.views.at(new URL("./views/", import.meta.url));
    const name = settings.name;
    return {
      routes: oidcRoutes(kit, {
        client: oidcClient(settings, `${config.appUrl}/auth/oidc/callback`),
        flows: flowCookies({
          name: cookieName(config, "oidc_flow"),
          secure: config.isProduction,
          secrets: config.sessionSecrets,
        }),
        name,
      }),
      // The sign-in page is the provider's: the login form posts to us, we redirect there.
      formTargets: [settings.issuer.origin],
      signInMethod: identitySignInMethod,
      signInButtons: [
        {
          id: "oidc-sign-in",
          render: async (_req, res) => views.html(res, "sign-in-button", { oidcName: name }),
        },
      ],
      // Its panel is on the account page; the settings navigation names it.
      settingsPages: [{ path: "/account#connected-accounts", label: "Connected accounts" }],
      accountSections: [
        {
          id: "oidc-identities",
          async render(req, res) {
            const identities = await listIdentities(kit.pool, userOf(req).id);
            return views.html(res, "account-section", { oidcName: name, identities });
          },
        },
      ],
      eventKinds: {
        identity_linked: "Linked a sign-in provider",
        identity_unlinked: "Unlinked a sign-in provider",
      },
    };
  },
};
