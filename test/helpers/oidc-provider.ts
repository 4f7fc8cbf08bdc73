import Provider from "oidc-provider";
import { expect, onTestFinished } from "vitest";
import { startTestApp, type TestApp, type TestAppOptions } from "./app.js";
import { HttpClient, type Reply } from "./http-client.js";
import { type Listening, listen } from "./listen.js";

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, with its built-in
 * development login and consent pages, for the app's "Continue with …" to talk to. Accounts are
 * whatever the test says: `accounts.set(sub, { email, email_verified })`.
 */
export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, { email?: string; email_verified?: boolean }>;
  /** Registers the app's redirect URI (known once the app listens) and starts answering. */
  start(redirectUri: string): void;
  /** Stops it (a provider that is down); calling it again does nothing. */
  close(): Promise<void>;
}

export const OIDC_CLIENT = { id: "starter-app", secret: "a-test-client-secret-0123456789" };

type Handler = (
  req: import("node:http").IncomingMessage,
  res: import("node:http").ServerResponse,
) => void;

/** Listening at once (its issuer URL is needed to configure the app); answers after start(). */
export async function startTestProvider(): Promise<TestProvider> {
  let handler: Handler = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server: Listening = await listen((req, res) => handler(req, res));
  const accounts: TestProvider["accounts"] = new Map();
  // Once: a test may stop the provider itself (an outage) before the test's end stops it again.
  let closed: Promise<void> | undefined;
  const provider: TestProvider = {
    issuer: server.url,
    clientId: OIDC_CLIENT.id,
    clientSecret: OIDC_CLIENT.secret,
    accounts,
    start(redirectUri) {
      const oidc = new Provider(server.url, {
        clients: [
          {
            client_id: OIDC_CLIENT.id,
            client_secret: OIDC_CLIENT.secret,
            redirect_uris: [redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
          },
        ],
        claims: { openid: ["sub"], email: ["email", "email_verified"] },
        cookies: { keys: ["a-test-cookie-key-for-the-provider"] },
        findAccount: async (_ctx, sub) => {
          const account = accounts.get(sub);
          if (!account) return undefined;
          return { accountId: sub, claims: async () => ({ sub, ...account }) };
        },
      });
      handler = oidc.callback();
    },
    close: () => {
      closed ??= server.close();
      return closed;
    },
  };
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
 * development login page, give consent, and come back. Returns the callback URL the provider
 * sends the browser to (not yet followed), so a test can replay or tamper with it.
 */
export async function signInAtProvider(
  authorizationUrl: string,
  sub: string,
  tamper: (url: URL) => void = () => {},
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

/** The real app with OIDC_* pointing at a real provider on 127.0.0.1 (both stopped by the test). */
export async function startAppWithProvider(
  options: TestAppOptions = {},
): Promise<{ app: TestApp; provider: TestProvider }> {
  const provider = await startTestProvider();
  const app = await startTestApp({
    ...options,
    env: {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: OIDC_CLIENT.id,
      OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      OIDC_NAME,
      ...options.env,
    },
  });
  provider.start(`${app.url}/auth/oidc/callback`);
  return { app, provider };
}

/** Presses "Continue with TestID" on `page`; returns where the app sends the browser. */
export async function pressContinue(browser: HttpClient, page = "/login"): Promise<string> {
  const form = await browser.get(page);
  expect(form.body).toContain(`Continue with ${OIDC_NAME}</button>`);
  const reply = await browser.post("/auth/oidc/start", {});
  expect(reply.status).toBe(303);
  return reply.location as string;
}

/** The whole trip: app → provider (log in as `sub`) → the app's callback. */
export async function signInWithProvider(
  browser: HttpClient,
  sub: string,
  tamper?: (url: URL) => void,
): Promise<{ callback: URL; reply: Reply }> {
  const callback = await signInAtProvider(await pressContinue(browser), sub, tamper);
  return { callback, reply: await browser.get(callback.pathname + callback.search) };
}
