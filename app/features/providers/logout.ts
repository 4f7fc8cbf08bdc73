import type { Request } from "express";
import type { SessionData } from "../../session/index.js";
import type { Provider, ProviderIdentity } from "./client.js";

declare module "../../session/types.js" {
  interface SessionData {
    /** The provider this session signed in with, when it logs out there too (…_LOGOUT=true). */
    providerLogout: { provider: string; idToken: string };
  }
}

/**
 * RP-initiated logout, for an OpenID Connect provider whose `…_LOGOUT` is true and that
 * publishes an `end_session_endpoint`: a session signed in with it keeps the ID token (the sign-in
 * pipeline's `keep`, carried through a second factor if the account has one), and logging out
 * then ends the session here and sends the browser to the provider's end-session page
 * (`id_token_hint`), which sends it back to `APP_URL/login?loggedout=1` (the post-logout redirect
 * URI to register).
 */
export function providerLogout(registry: ReadonlyMap<string, Provider>, appUrl: string) {
  return {
    /** The callback, just before the sign-in: what the new session will keep. */
    keepFor(provider: Provider, identity: ProviderIdentity): Partial<SessionData> | undefined {
      return provider.logoutUrl && identity.idToken
        ? { providerLogout: { provider: provider.key, idToken: identity.idToken } }
        : undefined;
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
