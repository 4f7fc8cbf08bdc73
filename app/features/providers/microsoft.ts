import { decodeJwt } from "jose";
import * as oidc from "openid-client";
import {
  atProvider,
  authorizationRequest,
  callbackUrl,
  type FlowChecks,
  type HttpSettings,
  type Provider,
  ProviderFailed,
  prepare,
  SignInFailed,
} from "./client.js";
import { codeChecks, endSession, identityOf } from "./oidc.js";

export interface MicrosoftSettings {
  key: string;
  name: string;
  /** https://login.microsoftonline.com, or MICROSOFT_BASE_URL. */
  baseUrl: URL;
  /** common, organizations, consumers, a tenant ID or a tenant's domain name. */
  tenant: string;
  clientId: string;
  clientSecret: string;
  logout: boolean;
}

const TEMPLATE = "{tenantid}";

/**
 * Microsoft (Entra ID and personal accounts), single- or multi-tenant. The multi-tenant
 * endpoints (`common`, `organizations`) publish a templated issuer, `…/{tenantid}/v2.0`: an ID
 * token is valid when its `iss` is that template with the token's own `tid`. The identity is
 * the tenant (`iss` names it) and the user's `oid` in it (or `sub`); the `email` claim is any
 * address the tenant's admin typed, so it never counts as proof of the address.
 */
export function microsoftProvider(
  settings: MicrosoftSettings,
  redirectUri: string,
  http: HttpSettings,
): Provider {
  const { name, clientId, clientSecret } = settings;
  const base = settings.baseUrl.href.replace(/\/+$/, "");
  const discoveryUrl = new URL(`${base}/${settings.tenant}/v2.0/.well-known/openid-configuration`);
  let configuration: Promise<oidc.Configuration> | undefined;

  /**
   * The document at the tenant's well-known URL, read directly (openid-client's issuer check would
   * refuse the template): its issuer must be this host's, for this tenant, the template, or a
   * tenant ID (`consumers` names the personal accounts' tenant).
   */
  async function discover(): Promise<oidc.Configuration> {
    const config = await atProvider(name, () =>
      oidc.discovery(discoveryUrl, clientId, clientSecret, undefined, {
        timeout: http.timeoutSeconds,
        ...(discoveryUrl.protocol === "http:" ? { execute: [oidc.allowInsecureRequests] } : {}),
      }),
    );
    const issuer = config.serverMetadata().issuer;
    const tenant =
      issuer.startsWith(`${base}/`) && issuer.endsWith("/v2.0")
        ? issuer.slice(base.length + 1, -"/v2.0".length)
        : undefined;
    if (
      tenant !== settings.tenant &&
      tenant !== TEMPLATE &&
      !/^[0-9a-f-]{36}$/i.test(tenant ?? "")
    ) {
      throw new ProviderFailed(name, undefined, new Error(`not its own issuer: ${issuer}`));
    }
    return config;
  }
  const configure = () => {
    configuration ??= discover().catch((error: unknown) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };

  return {
    key: settings.key,
    name,
    kind: "oidc",
    origins: [settings.baseUrl.origin],
    configuration: configure,
    async authorizationUrl(checks) {
      return authorizationRequest(await configure(), checks, {
        redirectUri,
        scope: "openid email profile",
        nonce: true,
      });
    },
    async finish(answer, checks) {
      const config = await configure();
      const url = callbackUrl(redirectUri, answer);
      const { tokens, tenantConfig } = config.serverMetadata().issuer.includes(TEMPLATE)
        ? await atProvider(name, () => templatedGrant(config, url, checks))
        : {
            tokens: await atProvider(name, () =>
              oidc.authorizationCodeGrant(config, url, codeChecks(checks)),
            ),
            tenantConfig: config,
          };
      const identity = await identityOf(name, tenantConfig, tokens);
      const claims = tokens.claims();
      const oid = claims?.oid;
      return {
        ...identity,
        subject: typeof oid === "string" && oid !== "" ? oid : identity.subject,
        emailVerified: false,
      };
    },
    ...(settings.logout ? { logoutUrl: endSession(configure) } : {}),
  };

  /**
   * The code exchange against a templated issuer. openid-client checks `iss` against one issuer,
   * so the token endpoint's answer is fetched once and kept; the ID token's `tid` (unverified, only
   * to name the issuer) gives the tenant's issuer; then openid-client checks that same answer
   * against it: signature, `iss`, audience, nonce, state, and the `tid` must be the one used.
   */
  async function templatedGrant(config: oidc.Configuration, url: URL, checks: FlowChecks) {
    const { supportsPKCE: _helper, ...metadata } = config.serverMetadata();
    const tokenEndpoint = metadata.token_endpoint;
    let kept: { status: number; headers: [string, string][]; body: string } | undefined;
    const exchange = prepare(
      new oidc.Configuration(metadata, clientId, clientSecret),
      discoveryUrl,
      http,
    );
    exchange[oidc.customFetch] = async (target, options) => {
      const response = await fetch(target, options);
      if (target === tokenEndpoint) {
        kept = {
          status: response.status,
          headers: [...response.headers],
          body: await response.clone().text(),
        };
      }
      return response;
    };
    // The answer's `iss` parameter names the tenant's issuer, not the template: checked below.
    const withoutIss = new URL(url);
    withoutIss.searchParams.delete("iss");
    try {
      await oidc.authorizationCodeGrant(exchange, withoutIss, codeChecks(checks));
    } catch (error) {
      if (kept?.status !== 200) throw error;
    }
    const tid = kept ? tenantOf(kept.body) : undefined;
    if (!kept || !tid) {
      throw new SignInFailed(name, 400, "providers.errors.noTenant");
    }
    const answer = kept;
    const tenantConfig = prepare(
      new oidc.Configuration(
        { ...metadata, issuer: metadata.issuer.replace(TEMPLATE, tid) },
        clientId,
        clientSecret,
      ),
      discoveryUrl,
      http,
    );
    tenantConfig[oidc.customFetch] = async (target, options) =>
      target === tokenEndpoint
        ? new Response(answer.body, { status: answer.status, headers: answer.headers })
        : fetch(target, options);
    const tokens = await oidc.authorizationCodeGrant(tenantConfig, url, codeChecks(checks));
    if (tokens.claims()?.tid !== tid) {
      throw new SignInFailed(name, 400, "providers.errors.tenantMismatch");
    }
    return { tokens, tenantConfig };
  }
}

/** The `tid` claim of the ID token in a token endpoint's answer, read without checking it. */
function tenantOf(body: string): string | undefined {
  try {
    const idToken = (JSON.parse(body) as { id_token?: unknown }).id_token;
    const tid = typeof idToken === "string" ? decodeJwt(idToken).tid : undefined;
    return typeof tid === "string" && /^[A-Za-z0-9-]{1,64}$/.test(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}
