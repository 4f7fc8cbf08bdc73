import type { IncomingMessage, ServerResponse } from "node:http";
import Provider from "oidc-provider";
import { expect, onTestFinished } from "vitest";
import { startTestApp, type TestApp, type TestAppOptions } from "./app.js";
import { HttpClient, type Reply } from "./http-client.js";
import { type Listening, listen } from "./listen.js";

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, with its built-in
 * development login and consent pages, for the app's "Continue with …" to talk to. Accounts are
 * whatever the test says: `accounts.set(sub, { email, email_verified })`. Several can run at once
 * (each on its own port): a generic provider, one standing in for Google, one for Microsoft.
 */
export interface TestProvider {
  /** The issuer (for a tenant: the tenant's, `<url>/<tenant>/v2.0`). */
  issuer: string;
  /** Where it listens: MICROSOFT_BASE_URL for a tenant. */
  url: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, TestAccount>;
  /** Registers the app's redirect URIs (known once the app listens) and starts answering. */
  start(redirectUri: string, options?: { postLogoutRedirectUri?: string }): void;
  /** Stops it (a provider that is down); calling it again does nothing. */
  close(): Promise<void>;
  /** From now on every request is answered with this status (a provider that fails), or again. */
  failWith(status: number | undefined): void;
}

/** A person at the provider: the claims it makes about them. */
export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  /** Microsoft's: the tenant and the user's object ID in it (a tenant provider sets both). */
  tid?: string;
  oid?: string;
  name?: string;
}

export const OIDC_CLIENT = { id: "starter-app", secret: "a-test-client-secret-0123456789" };

/** The tenant a Microsoft stand-in is, unless the test says: a tenant ID as Entra ID has them. */
export const TEST_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

export interface TestProviderOptions {
  /**
   * Stand in for Microsoft's multi-tenant endpoints: the provider is this tenant's (issuer
   * `<url>/<tenant>/v2.0`, tokens with its `tid` and each account's `oid`), and
   * `<url>/common/v2.0/.well-known/openid-configuration` (and `organizations`) publishes the
   * templated issuer `<url>/{tenantid}/v2.0`, as login.microsoftonline.com does.
   */
  tenant?: string;
}

/** Listening at once (its issuer URL is needed to configure the app); answers after start(). */
export async function startTestProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  let failing: number | undefined;
  const server: Listening = await listen((req, res) => {
    if (failing !== undefined) {
      res.statusCode = failing;
      res.end("failing on purpose");
      return;
    }
    handler(req, res);
  });
  const mount = options.tenant ? `/${options.tenant}/v2.0` : "";
  const issuer = `${server.url}${mount}`;
  const accounts: TestProvider["accounts"] = new Map();
  // Once: a test may stop the provider itself (an outage) before the test's end stops it again.
  let closed: Promise<void> | undefined;
  const provider: TestProvider = {
    issuer,
    url: server.url,
    clientId: OIDC_CLIENT.id,
    clientSecret: OIDC_CLIENT.secret,
    accounts,
    start(redirectUri, startOptions = {}) {
      const oidc = new Provider(issuer, {
        clients: [
          {
            client_id: OIDC_CLIENT.id,
            client_secret: OIDC_CLIENT.secret,
            redirect_uris: [redirectUri],
            ...(startOptions.postLogoutRedirectUri
              ? { post_logout_redirect_uris: [startOptions.postLogoutRedirectUri] }
              : {}),
            grant_types: ["authorization_code"],
            response_types: ["code"],
          },
        ],
        claims: {
          openid: ["sub"],
          email: ["email", "email_verified"],
          profile: ["name", "tid", "oid"],
        },
        // Microsoft puts tid and oid in the ID token itself.
        ...(options.tenant ? { conformIdTokenClaims: false } : {}),
        features: { rpInitiatedLogout: { enabled: true } },
        interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
        cookies: { keys: ["a-test-cookie-key-for-the-provider"] },
        findAccount: async (_ctx, sub) => {
          const account = accounts.get(sub);
          if (!account) return undefined;
          const tenant = options.tenant ? { tid: options.tenant, oid: `oid-${sub}` } : {};
          return { accountId: sub, claims: async () => ({ sub, ...tenant, ...account }) };
        },
      });
      const callback = oidc.callback();
      handler = (req, res) => {
        const url = req.url ?? "/";
        const templated = /^\/(common|organizations)\/v2\.0\/\.well-known\/openid-configuration$/;
        if (options.tenant && templated.test(url)) {
          void publishTemplate(res);
          return;
        }
        if (mount && url.startsWith(mount)) {
          // Mounted at the tenant's path, as Express would: oidc-provider reads originalUrl.
          (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
          req.url = url.slice(mount.length) || "/";
        }
        callback(req, res);
      };
    },
    close: () => {
      closed ??= server.close();
      return closed;
    },
    failWith(status) {
      failing = status;
    },
  };

  /** The multi-tenant document: the tenant's, with `{tenantid}` in place of the tenant. */
  async function publishTemplate(res: ServerResponse) {
    const own = await fetch(`${issuer}/.well-known/openid-configuration`);
    const metadata = (await own.json()) as Record<string, unknown>;
    metadata.issuer = `${server.url}/{tenantid}/v2.0`;
    // Entra ID does not send `iss` with the code.
    delete metadata.authorization_response_iss_parameter_supported;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(metadata));
  }

  onTestFinished(() => provider.close());
  return provider;
}

const formAction = (html: string) => {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in the provider's page: ${html.slice(0, 300)}`);
  return action.replaceAll("&amp;", "&");
};

/**
 * What a person does at the provider: follow the app's redirect, log in as `sub` on the
 * development login page, give consent (or abort: Cancel), and come back. Returns the callback
 * URL the provider sends the browser to (not yet followed), so a test can replay or tamper with it.
 */
export async function signInAtProvider(
  authorizationUrl: string,
  sub: string,
  tamper: (url: URL) => void = () => {},
  options: { cancel?: boolean } = {},
): Promise<URL> {
  const browser = new HttpClient(new URL(authorizationUrl).origin);
  const url = new URL(authorizationUrl);
  tamper(url);
  let reply: Reply = await browser.get(url.href);
  for (let step = 0; step < 10; step++) {
    if (reply.status === 303 || reply.status === 302) {
      const location = new URL(reply.location as string, browser.baseUrl);
      if (location.origin !== browser.baseUrl) return location;
      reply = await browser.get(location.href);
      continue;
    }
    expect(reply.status, reply.body.slice(0, 500)).toBe(200);
    if (options.cancel) {
      // The development pages' "Cancel" link: the interaction's abort.
      const abort = /href="([^"]*\/abort)"/.exec(reply.body)?.[1];
      if (!abort) throw new Error(`no Cancel on the provider's page: ${reply.body.slice(0, 300)}`);
      reply = await browser.get(abort.replaceAll("&amp;", "&"));
      continue;
    }
    const action = formAction(reply.body);
    const form: Record<string, string> = reply.body.includes('name="login"')
      ? { prompt: "login", login: sub, password: "anything" }
      : { prompt: "consent" };
    reply = await browser.request("POST", action, { form });
  }
  throw new Error("the provider never sent the browser back");
}

/** The button's label in the apps startAppWithProvider starts: "Continue with TestID". */
export const OIDC_NAME = "TestID";

/** OIDC_* (or OIDC_<ID>_*, with `prefix`) pointing the app at `provider`. */
export function providerEnv(
  provider: TestProvider,
  name = OIDC_NAME,
  prefix = "OIDC_",
): Record<string, string> {
  return {
    [`${prefix}ISSUER`]: provider.issuer,
    [`${prefix}CLIENT_ID`]: OIDC_CLIENT.id,
    [`${prefix}CLIENT_SECRET`]: OIDC_CLIENT.secret,
    [`${prefix}NAME`]: name,
  };
}

/** The real app with OIDC_* pointing at a real provider on 127.0.0.1 (both stopped by the test). */
export async function startAppWithProvider(
  options: TestAppOptions = {},
): Promise<{ app: TestApp; provider: TestProvider }> {
  const provider = await startTestProvider();
  const app = await startTestApp({
    ...options,
    env: { ...providerEnv(provider), ...options.env },
  });
  provider.start(`${app.url}/auth/oidc/callback`, {
    postLogoutRedirectUri: `${app.url}/login?loggedout=1`,
  });
  return { app, provider };
}

/**
 * Presses "Continue with <name>" on `page` (the unprefixed provider's, `oidc`, by default);
 * returns where the app sends the browser.
 */
export async function pressContinue(
  browser: HttpClient,
  page = "/login",
  provider: { key: string; name: string } = { key: "oidc", name: OIDC_NAME },
): Promise<string> {
  const form = await browser.get(page);
  expect(form.body).toContain(`Continue with ${provider.name}</button>`);
  const reply = await browser.post(`/auth/${provider.key}/start`, {});
  expect(reply.status, reply.body.slice(0, 300)).toBe(303);
  return reply.location as string;
}

/** The whole trip: app → provider (log in as `sub`) → the app's callback. */
export async function signInWithProvider(
  browser: HttpClient,
  sub: string,
  tamper?: (url: URL) => void,
  provider?: { key: string; name: string },
): Promise<{ callback: URL; reply: Reply }> {
  const callback = await signInAtProvider(
    await pressContinue(browser, "/login", provider),
    sub,
    tamper,
  );
  return { callback, reply: await browser.get(callback.pathname + callback.search) };
}
