import { z } from "zod";
import { parseVariables } from "../../config.js";
import type { Feature } from "../../core/feature.js";
import { cookieName } from "../../security/cookie-names.js";
import { bindingCookies } from "./binding.js";
import { emailSignInRoutes } from "./routes.js";

/** How long a sign-in link and its code work. */
export const EMAIL_SIGN_IN_MS = 15 * 60_000;

const flag = (fallback: "true" | "false") =>
  z.enum(["true", "false"], { error: 'must be "true" or "false"' }).default(fallback);

const variables = z.object({
  /** `false` turns the feature off: no button, its routes answer 404. */
  EMAIL_SIGN_IN: flag("true"),
  /** `true`: the link mailed to an address with no account makes the account (verified). */
  EMAIL_SIGN_IN_CREATES_ACCOUNTS: flag("false"),
});

/**
 * Sign in by email, a link or a code, safe against mail scanners ("Email me a sign-in link" on
 * /login). The routes, the flow and why each step is as it is: routes.ts. Off with
 * EMAIL_SIGN_IN=false.
 */
export const emailSignIn: Feature = {
  name: "email-sign-in",
  checkConfig(config) {
    parseVariables(variables, config.env);
  },
  setup(kit) {
    const { config } = kit;
    const env = parseVariables(variables, config.env);
    if (env.EMAIL_SIGN_IN === "false") return undefined;
    const views = kit.views.at(new URL("./views/", import.meta.url));
    const bindings = bindingCookies({
      name: cookieName(config, "email_sign_in"),
      secure: config.isProduction,
      secrets: config.sessionSecrets,
      clock: kit.clock,
      lifetimeMs: EMAIL_SIGN_IN_MS,
    });
    return {
      routes: emailSignInRoutes(kit, views, {
        createsAccounts: env.EMAIL_SIGN_IN_CREATES_ACCOUNTS === "true",
        lifetimeMs: EMAIL_SIGN_IN_MS,
        bindings,
      }),
      signInButtons: [
        {
          id: "email-sign-in",
          render: async (_req, res) =>
            res.locals.signInPage === "login" ? views.html(res, "sign-in-button") : undefined,
        },
      ],
      // How the trail says these sign-ins (kind "sign_in", by its method).
      eventKinds: {
        "sign_in:email_link": "email-sign-in.events.link",
        "sign_in:email_code": "email-sign-in.events.code",
        "sign_in:email_link+2fa": "email-sign-in.events.link2fa",
        "sign_in:email_code+2fa": "email-sign-in.events.code2fa",
      },
    };
  },
};
