import * as oidc from "openid-client";
import { AppError } from "../../http/respond.js";
import { type Message, msg } from "../../i18n/index.js";

/** Who signed in at the provider, as it vouched for them. */
export interface ProviderIdentity {
  /** With `subject`, the identity's key: the same person at the same provider, always. */
  issuer: string;
  subject: string;
  email: string | undefined;
  /** The provider vouches that the address is theirs (`email_verified`, GitHub's `verified`). */
  emailVerified: boolean;
  /** Shown beside the identity: a GitHub login, the name Apple sends on the first sign-in. */
  displayName?: string | undefined;
  /** The ID token, for RP-initiated logout's `id_token_hint`. */
  idToken?: string | undefined;
}

/** What one sign-in must match at the callback (kept in the flow cookie). */
export interface FlowChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * One provider of the registry: its key (routes, flow, AUTH_TRUSTED_PROVIDERS), its name (buttons),
 * its kind, and openid-client's Configuration for it (discovered, or built from known metadata).
 */
export interface Provider {
  key: string;
  name: string;
  /** "oidc": OpenID Connect (ID token); "oauth2": plain OAuth 2.0 (GitHub); "apple": form_post. */
  kind: "oidc" | "oauth2" | "apple";
  /** Origins its sign-in pages are on (CSP form-action: our forms redirect there). */
  origins: string[];
  configuration(): Promise<oidc.Configuration>;
  /** Where to send the browser: authorization code with PKCE (S256), state, nonce if OIDC. */
  authorizationUrl(checks: FlowChecks): Promise<URL>;
  /**
   * Completes the sign-in the callback answers (its parameters, from the query or the
   * form_post body), or throws: SignInFailed (4xx), SignInCancelled, or the provider's failure
   * (502, 503, 504).
   */
  finish(answer: URLSearchParams, checks: FlowChecks): Promise<ProviderIdentity>;
  /** RP-initiated logout: the provider's end-session URL, when enabled and published. */
  logoutUrl?(idToken: string, postLogoutRedirectUri: string): Promise<URL | undefined>;
}

/**
 * The callback did not complete a sign-in: a 4xx page that says why. `message`: a catalogue key
 * (its `{{name}}` is the provider's), or one with more values.
 */
export class SignInFailed extends AppError {
  override name = "SignInFailed";
  constructor(providerName: string, status: number, message: Message, cause?: unknown) {
    const { key, values } = typeof message === "string" ? { key: message, values: {} } : message;
    super(status, "sign_in_failed", key, {
      values: { name: providerName, ...values },
      title: msg("providers.errors.failedTitle", { name: providerName }),
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** The person pressed Cancel at the provider (`access_denied`): back where they came from. */
export class SignInCancelled extends Error {
  override name = "SignInCancelled";
}

/**
 * The provider cannot be reached (connection refused, no such host): 503 with Retry-After, as
 * the core's ServiceUnavailable (an AppError here: its message names the provider).
 */
export class ProviderUnavailable extends AppError {
  override name = "ProviderUnavailable";
  constructor(providerName: string, options?: { cause?: unknown }) {
    super(503, "provider_unavailable", "providers.errors.unavailable", {
      values: { name: providerName },
      title: "errors.titles.503",
      retryAfter: 5,
      ...options,
    });
  }
}

/** The provider answered, but with a failure of its own (HTTP 5xx, not JSON): 502. */
export class ProviderFailed extends AppError {
  override name = "ProviderFailed";
  constructor(providerName: string, status: number | undefined, cause?: unknown) {
    super(
      502,
      "provider_failed",
      status ? "providers.errors.failedStatus" : "providers.errors.failed",
      {
        values: { name: providerName, ...(status ? { status } : {}) },
        title: msg("providers.errors.failedTitleSaidNo", { name: providerName }),
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }
}

/** The provider did not answer within PROVIDER_TIMEOUT_SECONDS: 504. */
export class ProviderTimedOut extends AppError {
  override name = "ProviderTimedOut";
  constructor(providerName: string, cause?: unknown) {
    super(504, "provider_timeout", "providers.errors.timeout", {
      values: { name: providerName },
      title: msg("providers.errors.timeoutTitle", { name: providerName }),
      retryAfter: 5,
      cause,
    });
  }
}

const CANCELLED = new Set(["access_denied", "user_cancelled_authorize"]);
const NOT_A_PROVIDER_ANSWER = new Set([
  "OAUTH_RESPONSE_IS_NOT_CONFORM",
  "OAUTH_RESPONSE_IS_NOT_JSON",
  "OAUTH_PARSE_ERROR",
]);

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
};

/** The HTTP status behind an openid-client error, if it came from a response. */
function statusOf(error: unknown): number | undefined {
  if (error instanceof oidc.ResponseBodyError) return error.status;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Response) return cause.status;
  const status = (cause as { status?: unknown } | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}

/**
 * What openid-client (or a request of ours) threw, as the answer the person gets: the provider's
 * failures as 502/503/504 (never a 500), a refusal or a mismatch as a 400 page saying which.
 */
export function providerError(error: unknown, name: string): Error {
  if (error instanceof AppError || error instanceof SignInCancelled) return error;
  if (error instanceof oidc.AuthorizationResponseError) {
    if (CANCELLED.has(error.error)) return new SignInCancelled(name);
    return new SignInFailed(
      name,
      400,
      error.error_description
        ? msg("providers.errors.refusedDetail", {
            error: error.error,
            detail: error.error_description,
          })
        : msg("providers.errors.refused", { error: error.error }),
      error,
    );
  }
  const code = codeOf(error);
  // openid-client's own timeout, or fetch's (AbortSignal.timeout).
  if (code === "OAUTH_TIMEOUT" || code === "OAUTH_ABORT" || isTimeout(error)) {
    return new ProviderTimedOut(name, error);
  }
  // fetch could not reach it (refused, reset, no such host): undici's "fetch failed".
  if (error instanceof TypeError && error.message === "fetch failed") {
    return new ProviderUnavailable(name, { cause: error });
  }
  const status = statusOf(error);
  if (status !== undefined && status >= 500) return new ProviderFailed(name, status, error);
  if (error instanceof oidc.ResponseBodyError) {
    return new SignInFailed(
      name,
      400,
      msg("providers.errors.refusedToComplete", { error: error.error }),
      error,
    );
  }
  if (NOT_A_PROVIDER_ANSWER.has(code ?? "")) return new ProviderFailed(name, status, error);
  return new SignInFailed(name, 400, "providers.errors.mismatch", error);
}

const isTimeout = (error: unknown): boolean =>
  error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");

/** Runs `work` against the provider; whatever it throws becomes providerError's answer. */
export async function atProvider<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw providerError(error, name);
  }
}

/** The settings every openid-client Configuration of the registry gets. */
export interface HttpSettings {
  timeoutSeconds: number;
}

/**
 * Applies the shared settings to a Configuration: the timeout, and plain HTTP for a provider on
 * this machine (settings.ts lets http:// through only for localhost outside production).
 */
export function prepare(config: oidc.Configuration, server: URL, http: HttpSettings) {
  config.timeout = http.timeoutSeconds;
  if (server.protocol === "http:") oidc.allowInsecureRequests(config);
  return config;
}

/** Discovers an OpenID Connect provider once (again after a failure), with the shared settings. */
export function discovered(
  name: string,
  issuer: URL,
  client: { clientId: string; clientSecret: string },
  http: HttpSettings,
): () => Promise<oidc.Configuration> {
  let configuration: Promise<oidc.Configuration> | undefined;
  return () => {
    configuration ??= atProvider(name, () =>
      oidc.discovery(issuer, client.clientId, client.clientSecret, undefined, {
        timeout: http.timeoutSeconds,
        ...(issuer.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
      }),
    ).catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };
}

/** The authorization request every provider of the registry sends. */
export async function authorizationRequest(
  config: oidc.Configuration,
  checks: FlowChecks,
  parameters: { redirectUri: string; scope: string; nonce: boolean; [extra: string]: unknown },
): Promise<URL> {
  const { redirectUri, scope, nonce, ...extra } = parameters;
  return oidc.buildAuthorizationUrl(config, {
    ...(extra as Record<string, string>),
    redirect_uri: redirectUri,
    scope,
    response_type: "code",
    state: checks.state,
    ...(nonce ? { nonce: checks.nonce } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
    code_challenge_method: "S256",
  });
}

/** The callback's URL as openid-client reads it: the registered redirect URI and the answer. */
export function callbackUrl(redirectUri: string, answer: URLSearchParams): URL {
  const url = new URL(redirectUri);
  url.search = answer.toString();
  return url;
}
