import type { KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import * as oidc from "openid-client";
import {
  atProvider,
  authorizationRequest,
  callbackUrl,
  type HttpSettings,
  type Provider,
  prepare,
} from "./client.js";
import { codeChecks, identityOf } from "./oidc.js";

export interface AppleSettings {
  key: string;
  name: string;
  /** https://appleid.apple.com, or APPLE_BASE_URL (tests). */
  baseUrl: URL;
  /** The Services ID. */
  clientId: string;
  teamId: string;
  keyId: string;
  /** The .p8 key (P-256) that signs the client secret. */
  privateKey: KeyObject;
}

/** The client secret is minted for this long, and again this long before it ends. */
const SECRET_LIFETIME_S = 60 * 60;
const SECRET_RENEW_BEFORE_S = 5 * 60;

/**
 * Sign in with Apple: OpenID Connect with Apple's particulars. Asking for the name and address
 * needs `response_mode=form_post`, so the answer is a cross-site POST to the callback (routes.ts
 * carries it across, flow-cookie.ts); the client secret is a JWT (ES256, signed with the
 * developer's .p8 key, at most six months long) minted here and again before it ends; the name
 * comes once, on the first authorization, in the POST's `user` field (unsigned: shown, never
 * trusted); the address is the signed ID token's, and Apple vouches for it (`email_verified`,
 * a boolean or the string "true"), private relay addresses included.
 */
export function appleProvider(
  settings: AppleSettings,
  redirectUri: string,
  http: HttpSettings,
): Provider {
  const { name } = settings;
  const base = settings.baseUrl.href.replace(/\/+$/, "");
  const server: oidc.ServerMetadata = {
    issuer: base,
    authorization_endpoint: `${base}/auth/authorize`,
    token_endpoint: `${base}/auth/token`,
    jwks_uri: `${base}/auth/keys`,
    id_token_signing_alg_values_supported: ["RS256"],
  };

  const clientSecret = appleClientSecret(settings, base);

  // client_secret_post, with a secret that changes.
  const config = prepare(
    new oidc.Configuration(server, settings.clientId, undefined, async (_as, client, body) => {
      body.set("client_id", client.client_id);
      body.set("client_secret", await clientSecret());
    }),
    settings.baseUrl,
    http,
  );

  return {
    key: settings.key,
    name,
    kind: "apple",
    origins: [settings.baseUrl.origin],
    configuration: async () => config,
    authorizationUrl: (checks) =>
      authorizationRequest(config, checks, {
        redirectUri,
        scope: "name email",
        nonce: true,
        response_mode: "form_post",
      }),
    async finish(answer, checks) {
      const tokens = await atProvider(name, () =>
        oidc.authorizationCodeGrant(config, callbackUrl(redirectUri, answer), codeChecks(checks)),
      );
      const identity = await identityOf(name, config, tokens);
      const verified = tokens.claims()?.email_verified;
      return {
        ...identity,
        emailVerified: verified === true || verified === "true",
        displayName: nameOf(answer.get("user")),
      };
    },
  };
}

/**
 * Apple's client secret: an ES256 JWT (kid: the key ID; iss: the team; sub: the Services ID;
 * aud: Apple) signed with the .p8 key, valid for an hour and minted again five minutes before it
 * ends (Apple takes at most six months). `now`: seconds since the epoch.
 */
export function appleClientSecret(
  settings: Pick<AppleSettings, "clientId" | "teamId" | "keyId" | "privateKey">,
  audience: string,
  now: () => number = () => Math.floor(Date.now() / 1000),
): () => Promise<string> {
  let secret: { jwt: string; expiresAt: number } | undefined;
  return async () => {
    const at = now();
    if (!secret || secret.expiresAt - SECRET_RENEW_BEFORE_S <= at) {
      const expiresAt = at + SECRET_LIFETIME_S;
      const jwt = await new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: settings.keyId })
        .setIssuer(settings.teamId)
        .setSubject(settings.clientId)
        .setAudience(audience)
        .setIssuedAt(at)
        .setExpirationTime(expiresAt)
        .sign(settings.privateKey);
      secret = { jwt, expiresAt };
    }
    return secret.jwt;
  };
}

/** "Jane Appleseed", from the `user` field Apple posts on the first authorization only. */
function nameOf(user: string | null): string | undefined {
  if (!user) return undefined;
  try {
    const { name } = JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } };
    const parts = [name?.firstName, name?.lastName].filter(
      (part): part is string => typeof part === "string" && part.trim() !== "",
    );
    const full = parts
      .join(" ")
      .replace(/\p{Cc}/gu, "")
      .trim()
      .slice(0, 100);
    return full === "" ? undefined : full;
  } catch {
    return undefined;
  }
}
