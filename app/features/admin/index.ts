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
        return "admin.signInRefused";
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
      // Catalogue keys: the activity trail says them in its reader's language.
      eventKinds: {
        admin_locked: "admin.events.locked",
        admin_unlocked: "admin.events.unlocked",
        admin_signed_out: "admin.events.signedOut",
        admin_session_revoked: "admin.events.sessionRevoked",
        admin_two_factor_disabled: "admin.events.twoFactorDisabled",
        admin_verification_sent: "admin.events.verificationSent",
        admin_impersonated: "admin.events.impersonated",
      },
    };
  },
};
