import type { Feature } from "../../core/feature.js";
import { impersonation, impersonationOf, REFUSED_WHILE_IMPERSONATING } from "./impersonation.js";
import { adminRoutes } from "./routes.js";
import { isLocked, recordSignIn } from "./store.js";

/**
 * The admin area: roles (roles.ts: `can(user, action)`), the `npm run users` command line
 * (cli.ts: the only way to make an administrator), /admin (users, a user's page and its actions,
 * the audit trail), locked accounts (every sign-in refused) and impersonation ("Sign in as this
 * user", 30 minutes at most, a banner on every page, the user's sensitive changes refused).
 */
export const admin: Feature = {
  name: "admin",
  setup(kit) {
    const views = kit.views.at(new URL("./views/", import.meta.url));
    return {
      routes: adminRoutes(kit, views),
      // A locked account signs in by no method (the one pipeline asks this before it ends).
      async checkSignIn(user) {
        if (!(await isLocked(kit.pool, user.id))) return undefined;
        return "This account can't be signed in to right now. If you think this is a mistake, contact us.";
      },
      // When each account last signed in (the /admin list).
      onSignIn: ({ user }) => recordSignIn(kit.pool, user.id),
      // An administrator signed in as the user cannot change what only the user may.
      refuseSensitive: (req) => (impersonationOf(req) ? REFUSED_WHILE_IMPERSONATING : undefined),
      everyRequest: impersonation(kit).expire,
      banners: [
        {
          id: "impersonation",
          async render(req, res) {
            const marked = impersonationOf(req);
            return marked && views.html(res, "banner", { marked });
          },
        },
      ],
      eventKinds: {
        admin_locked: "An administrator locked your account",
        admin_unlocked: "An administrator unlocked your account",
        admin_signed_out: "An administrator signed you out everywhere",
        admin_session_revoked: "An administrator ended one of your sessions",
        admin_two_factor_disabled: "An administrator turned off your two-factor",
        admin_verification_sent: "An administrator sent you a new verification link",
        admin_impersonated: "An administrator signed in as you",
      },
    };
  },
};
