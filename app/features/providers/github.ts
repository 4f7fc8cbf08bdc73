import * as oidc from "openid-client";
import { msg } from "../../i18n/index.js";
import {
  atProvider,
  authorizationRequest,
  callbackUrl,
  type HttpSettings,
  type Provider,
  ProviderFailed,
  type ProviderIdentity,
  prepare,
  SignInFailed,
} from "./client.js";

export interface GitHubSettings {
  key: string;
  name: string;
  /** https://github.com, or GITHUB_BASE_URL (GitHub Enterprise, tests). */
  baseUrl: URL;
  /** https://api.github.com, or GITHUB_API_URL (GitHub Enterprise: https://<host>/api/v3). */
  apiUrl: URL;
  clientId: string;
  clientSecret: string;
}

/** One of GET /user/emails's entries (GitHub's REST API). */
interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub: OAuth 2.0, not OpenID Connect (no ID token, no discovery), through openid-client all
 * the same: a Configuration from GitHub's documented endpoints, the authorization code flow with
 * PKCE and state. Then its REST API: GET /user (the account: its numeric `id` is the identity,
 * the login is shown) and GET /user/emails (scope user:email), where only a `verified: true`
 * address counts, the primary one first; `/user`'s `email` is null unless the address is public.
 * GitHub answers a refused code with HTTP 200 and an `error` field, and its API wants a
 * User-Agent.
 */
export function gitHubProvider(
  settings: GitHubSettings,
  redirectUri: string,
  http: HttpSettings & { userAgent: string },
): Provider {
  const { name } = settings;
  const base = settings.baseUrl.href.replace(/\/+$/, "");
  const api = settings.apiUrl.href.replace(/\/+$/, "");
  const server: oidc.ServerMetadata = {
    issuer: base,
    authorization_endpoint: `${base}/login/oauth/authorize`,
    token_endpoint: `${base}/login/oauth/access_token`,
  };
  const config = prepare(
    new oidc.Configuration(server, settings.clientId, settings.clientSecret),
    settings.baseUrl,
    http,
  );
  config[oidc.customFetch] = async (url, options) => {
    const response = await fetch(url, options);
    return url === server.token_endpoint ? errorAs400(response) : response;
  };

  /** GET <api><path> with the user's token; the provider's failures as 502/503/504. */
  async function get<T>(path: string, accessToken: string): Promise<T> {
    const response = await atProvider(name, () =>
      fetch(`${api}${path}`, {
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${accessToken}`,
          "user-agent": http.userAgent,
          "x-github-api-version": "2022-11-28",
        },
        signal: AbortSignal.timeout(http.timeoutSeconds * 1000),
      }),
    );
    if (response.status >= 500) throw new ProviderFailed(name, response.status);
    if (!response.ok) {
      throw new SignInFailed(
        name,
        400,
        msg("providers.errors.githubRead", { status: response.status }),
      );
    }
    return (response.json() as Promise<T>).catch((error: unknown) => {
      throw new ProviderFailed(name, response.status, error);
    });
  }

  return {
    key: settings.key,
    name,
    kind: "oauth2",
    origins: [settings.baseUrl.origin],
    configuration: async () => config,
    authorizationUrl: (checks) =>
      authorizationRequest(config, checks, {
        redirectUri,
        scope: "read:user user:email",
        nonce: false,
        // Always ask which account: a shared computer's other GitHub session is not taken.
        prompt: "select_account",
      }),
    async finish(answer, checks): Promise<ProviderIdentity> {
      const tokens = await atProvider(name, () =>
        oidc.authorizationCodeGrant(config, callbackUrl(redirectUri, answer), {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
        }),
      );
      const user = await get<{ id?: unknown; login?: unknown; email?: unknown }>(
        "/user",
        tokens.access_token,
      );
      if (typeof user.id !== "number" && typeof user.id !== "string") {
        throw new ProviderFailed(name, undefined);
      }
      const emails = await get<unknown>("/user/emails", tokens.access_token);
      const list = Array.isArray(emails) ? (emails as GitHubEmail[]) : [];
      const verified =
        list.find((entry) => entry.verified === true && entry.primary === true) ??
        list.find((entry) => entry.verified === true);
      const shown =
        typeof user.email === "string" ? user.email : list.find((e) => e.primary)?.email;
      return {
        issuer: base,
        subject: String(user.id),
        email: verified?.email ?? shown,
        emailVerified: verified !== undefined,
        displayName: typeof user.login === "string" ? user.login : undefined,
      };
    },
  };
}

/**
 * GitHub answers a refused code (used already, expired, wrong client) with HTTP 200 and
 * `{ error, error_description }`: as a 400, openid-client reads it as the OAuth error it is.
 */
async function errorAs400(response: Response): Promise<Response> {
  if (response.status !== 200) return response;
  const body = await response.clone().text();
  let error: unknown;
  try {
    error = (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    return response;
  }
  if (typeof error !== "string") return response;
  return new Response(body, { status: 400, headers: response.headers });
}
