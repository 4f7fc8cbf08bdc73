import type { Request } from "express";
import type { SignInDone } from "../../core/sign-in.js";
import type { Provider, ProviderIdentity } from "./client.js";

declare module "../../session/types.js" {
  interface SessionData {
    /** The provider this session signed in with, when it logs out there too (…_LOGOUT=true). */
    providerLogout: { provider: string; idToken: string };
  }
}

/**
 * RP-initiated logout, for an OpenID Connect provider whose `…_LOGOUT` is true and that
 * publishes an `end_session_endpoint`: a session signed in with it keeps the ID token, and
 * logging out then ends the session here and sends the browser to the provider's end-session
 * page (`id_token_hint`), which sends it back to `APP_URL/login?loggedout=1` (the post-logout
 * redirect URI to register). A sign-in finished by a second factor on a later request keeps
 * nothing: its logout ends the session here only.
 */
export function providerLogout(registry: ReadonlyMap<string, Provider>, appUrl: string) {
  const signingIn = new WeakMap<Request, { provider: string; idToken: string }>();
  return {
    /** The callback, just before the sign-in: what the new session will keep. */
    remember(req: Request, provider: Provider, identity: ProviderIdentity) {
      if (provider.logoutUrl && identity.idToken) {
        signingIn.set(req, { provider: provider.key, idToken: identity.idToken });
      }
    },
    /** The sign-in pipeline's hook: into the session just logged in. */
    async onSignIn(done: SignInDone) {
      const kept = signingIn.get(done.req);
      if (kept) done.req.session.providerLogout = kept;
    },
    /** The core's logout asks: the provider's end-session URL, if this session has one. */
    async redirect(req: Request): Promise<string | undefined> {
      const kept = req.session.providerLogout;
      const provider = kept && registry.get(kept.provider);
      if (!kept || !provider?.logoutUrl) return undefined;
      return (await provider.logoutUrl(kept.idToken, `${appUrl}/login?loggedout=1`))?.href;
    },
  };
}
