import type { Feature } from "../../core/feature.js";
import { userOf } from "../../core/guards.js";
import { cookieName } from "../../security/cookie-names.js";
import { answerCookies, flowCookies } from "./flow-cookie.js";
import { identitySignInMethod, listIdentities } from "./identities.js";
import { providerLogout } from "./logout.js";
import { createRegistry } from "./registry.js";
import { answerRoutes, providerRoutes } from "./routes.js";
import { readSettings } from "./settings.js";

/**
 * Sign in with other providers: GitHub, Google, Microsoft, Apple and any number of OpenID Connect
 * providers, each configured by its environment variables (settings.ts). "Continue with <name>"
 * on the log-in and sign-up pages for each; Connected accounts on the account page lists the
 * linked identities with "Unlink", and "Link <name>" for each provider. Off while no provider is
 * configured.
 */
export const providers: Feature = {
  name: "providers",
  checkConfig: (config) => void readSettings(config),
  setup(kit) {
    const { config } = kit;
    const settings = readSettings(config);
    if (settings.providers.length === 0) return undefined;
    const registry = createRegistry(settings.providers, {
      appUrl: config.appUrl,
      timeoutSeconds: settings.timeoutSeconds,
      // GitHub's API refuses a request without one; the app's name, as a header can carry it.
      userAgent: config.appName.replace(/[^\x20-\x7e]/g, "").trim() || "session-starter",
    });
    const listed = [...registry.values()];
    const views = kit.views.at(new URL("./views/", import.meta.url));
    const cookies = { secure: config.isProduction, secrets: config.sessionSecrets };
    const answers = answerCookies({ name: cookieName(config, "oidc_answer"), ...cookies });
    const logout = providerLogout(registry, config.appUrl);
    return {
      routes: providerRoutes(kit, {
        registry,
        flows: flowCookies({ name: cookieName(config, "oidc_flow"), ...cookies }),
        answers,
        trusted: settings.trusted,
        keepFor: logout.keepFor,
      }),
      // A form_post answer is a cross-site POST: taken before the session (routes.ts).
      assets: answerRoutes({ registry, answers }),
      // The sign-in pages are the providers': our forms post to us, we redirect there.
      formTargets: [...new Set(listed.flatMap((provider) => provider.origins))],
      signInMethod: identitySignInMethod,
      signInButtons: [
        {
          id: "provider-sign-in",
          render: async (_req, res) => views.html(res, "sign-in-buttons", { providers: listed }),
        },
      ],
      // Its panel is on the account page; the settings navigation names it.
      settingsPages: [{ path: "/account#connected-accounts", label: "providers.account.title" }],
      accountSections: [
        {
          id: "connected-accounts",
          async render(req, res) {
            const identities = (await listIdentities(kit.pool, userOf(req).id)).map((identity) => ({
              id: identity.id,
              providerName: registry.get(identity.provider)?.name ?? identity.provider,
              shown:
                identity.displayName && identity.email
                  ? `${identity.displayName} (${identity.email})`
                  : (identity.email ?? identity.displayName),
            }));
            return views.html(res, "account-section", { providers: listed, identities });
          },
        },
      ],
      // Catalogue keys: the activity trail says them in its reader's language.
      eventKinds: {
        identity_linked: "providers.events.linked",
        identity_unlinked: "providers.events.unlinked",
      },
      logoutRedirect: logout.redirect,
    };
  },
};
