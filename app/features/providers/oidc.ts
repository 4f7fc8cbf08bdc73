import * as oidc from "openid-client";
import {
  atProvider,
  authorizationRequest,
  callbackUrl,
  discovered,
  type FlowChecks,
  type HttpSettings,
  type Provider,
  type ProviderIdentity,
  SignInFailed,
} from "./client.js";

export interface OpenIdSettings {
  key: string;
  name: string;
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** RP-initiated logout (`…_LOGOUT=true`), if the provider publishes end_session_endpoint. */
  logout: boolean;
}

/**
 * An OpenID Connect provider (a generic `OIDC_<ID>_*` one, Google): discovery once, then the
 * authorization code flow with PKCE, state and nonce; the code exchange checks all three, the
 * issuer and the ID token's signature. The address is the ID token's `email`, or UserInfo's.
 */
export function openIdProvider(
  settings: OpenIdSettings,
  redirectUri: string,
  http: HttpSettings,
): Provider {
  const { name } = settings;
  const configuration = discovered(name, settings.issuer, settings, http);
  return {
    key: settings.key,
    name,
    kind: "oidc",
    origins: [settings.issuer.origin],
    configuration,
    async authorizationUrl(checks) {
      const config = await configuration();
      return authorizationRequest(config, checks, {
        redirectUri,
        scope: "openid email",
        nonce: true,
      });
    },
    async finish(answer, checks) {
      const config = await configuration();
      const tokens = await atProvider(name, () =>
        oidc.authorizationCodeGrant(config, callbackUrl(redirectUri, answer), codeChecks(checks)),
      );
      return identityOf(name, config, tokens);
    },
    ...(settings.logout ? { logoutUrl: endSession(configuration) } : {}),
  };
}

/** What the code exchange must find: the PKCE verifier, the state and the ID token's nonce. */
export const codeChecks = (checks: FlowChecks): oidc.AuthorizationCodeGrantChecks => ({
  pkceCodeVerifier: checks.codeVerifier,
  expectedState: checks.state,
  expectedNonce: checks.nonce,
  idTokenExpected: true,
});

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;

/**
 * The identity the ID token names. Many providers put the email in it; others (oidc-provider by
 * default) only at the UserInfo endpoint, whose answer must be for the same subject.
 */
export async function identityOf(
  name: string,
  config: oidc.Configuration,
  tokens: Tokens,
): Promise<ProviderIdentity> {
  const claims = tokens.claims();
  if (!claims) throw new SignInFailed(name, 400, "providers.errors.noIdToken");
  let { email, email_verified } = claims;
  if (typeof email !== "string" && config.serverMetadata().userinfo_endpoint) {
    ({ email, email_verified } = await atProvider(name, () =>
      oidc.fetchUserInfo(config, tokens.access_token, claims.sub),
    ));
  }
  return {
    issuer: claims.iss,
    subject: claims.sub,
    email: typeof email === "string" ? email : undefined,
    emailVerified: email_verified === true,
    idToken: tokens.id_token,
  };
}

/** RP-initiated logout: the end-session URL, when the provider publishes one. */
export function endSession(configuration: () => Promise<oidc.Configuration>) {
  return async (idToken: string, postLogoutRedirectUri: string) => {
    const config = await configuration().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
    });
  };
}
