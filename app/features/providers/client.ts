import * as oidc from "openid-client";
import type { OidcConfig } from "../../config.js";
import { ServiceUnavailable } from "../../http/respond.js";

/** What the provider vouched for, from the verified ID token. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
}

/**
 * The provider could not be reached (discovery or the token endpoint): the error handler answers
 * 503 with a page (or JSON `provider_unavailable`) naming the provider.
 */
export class ProviderUnavailable extends ServiceUnavailable {
  override name = "ProviderUnavailable";
  constructor(providerName: string, options?: { cause?: unknown }) {
    super(
      `${providerName} cannot be reached right now, so nobody was signed in. Try again in a moment.`,
      "provider_unavailable",
      options,
    );
  }
}

/** The callback did not complete a sign-in: the message says why, for the 4xx page. */
export class SignInFailed extends Error {
  override name = "SignInFailed";
}

/**
 * The relying party, through openid-client: discovery (once, then cached), the authorization
 * URL with PKCE (S256), state and nonce, and the code exchange that checks all three, the
 * issuer and the ID token's signature.
 */
export function oidcClient(settings: OidcConfig, redirectUri: string) {
  let configuration: Promise<oidc.Configuration> | undefined;

  function discover(): Promise<oidc.Configuration> {
    configuration ??= oidc
      .discovery(settings.issuer, settings.clientId, settings.clientSecret, undefined, {
        // config.ts only lets an http:// issuer through on this machine, outside production.
        ...(settings.issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        configuration = undefined;
        throw new ProviderUnavailable(settings.name, { cause: error });
      });
    return configuration;
  }

  return {
    async authorizationUrl(checks: { state: string; nonce: string; codeVerifier: string }) {
      const config = await discover();
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: "openid email",
        response_type: "code",
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: "S256",
      });
    },

    /**
     * Completes the sign-in the callback answers (its query string, as received); throws
     * SignInFailed with the reason.
     */
    async finish(
      query: string,
      checks: { state: string; nonce: string; codeVerifier: string },
    ): Promise<OidcIdentity> {
      const config = await discover();
      // The registered redirect URI with the parameters the provider added.
      const callbackUrl = new URL(redirectUri);
      callbackUrl.search = query;
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        throw new SignInFailed(reasonOf(error, settings.name), { cause: error });
      }
      const claims = tokens.claims();
      if (!claims) throw new SignInFailed(`${settings.name} sent no ID token.`);
      // Many providers put the email in the ID token; others (oidc-provider by default) only
      // at the UserInfo endpoint, whose answer must be for the same subject.
      let { email, email_verified } = claims;
      if (typeof email !== "string") {
        const info = await oidc
          .fetchUserInfo(config, tokens.access_token, claims.sub)
          .catch((error: unknown) => {
            throw new SignInFailed(reasonOf(error, settings.name), { cause: error });
          });
        ({ email, email_verified } = info);
      }
      return {
        issuer: claims.iss,
        subject: claims.sub,
        email: typeof email === "string" ? email : undefined,
        emailVerified: email_verified === true,
      };
    },
  };
}

export type OidcClient = ReturnType<typeof oidcClient>;

/** A sentence for the person who clicked, from what openid-client threw. */
function reasonOf(error: unknown, name: string): string {
  if (error instanceof oidc.AuthorizationResponseError) {
    return `${name} did not sign you in (${error.error}${error.error_description ? `: ${error.error_description}` : ""}).`;
  }
  if (error instanceof oidc.ResponseBodyError) {
    return `${name} refused to complete the sign-in (${error.error}). The link may have been used already: start again.`;
  }
  if (error instanceof TypeError || (error as { code?: string }).code === "ECONNREFUSED") {
    throw new ProviderUnavailable(name, { cause: error });
  }
  return `${name}'s answer did not match this sign-in, so nobody was signed in. Start again.`;
}
