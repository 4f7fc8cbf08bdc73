import { describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { accountOf, logIn, makeUser } from "../../helpers/auth.js";
import {
  OIDC_CLIENT,
  signInAtProvider,
  signInWithProvider,
  startTestProvider,
  TEST_TENANT,
} from "../../helpers/oidc-provider.js";

/**
 * The built-in OpenID Connect providers, each against an oidc-provider standing in on 127.0.0.1:
 * Google (GOOGLE_BASE_URL: its issuer elsewhere) and Microsoft multi-tenant (MICROSOFT_BASE_URL:
 * a tenant's provider, with `/common/v2.0` publishing the templated issuer `…/{tenantid}/v2.0`).
 */

const MICROSOFT = { key: "microsoft", name: "Microsoft" };
const GOOGLE = { key: "google", name: "Google" };

/** The app with Google and Microsoft, each a provider of its own, both running at once. */
async function setup(env: Record<string, string> = {}) {
  const microsoft = await startTestProvider({ tenant: TEST_TENANT });
  const google = await startTestProvider();
  const app = await startTestApp({
    env: {
      MICROSOFT_CLIENT_ID: OIDC_CLIENT.id,
      MICROSOFT_CLIENT_SECRET: OIDC_CLIENT.secret,
      MICROSOFT_BASE_URL: microsoft.url,
      GOOGLE_CLIENT_ID: OIDC_CLIENT.id,
      GOOGLE_CLIENT_SECRET: OIDC_CLIENT.secret,
      GOOGLE_BASE_URL: google.issuer,
      ...env,
    },
  });
  microsoft.start(`${app.url}/auth/microsoft/callback`);
  google.start(`${app.url}/auth/google/callback`);
  return { app, microsoft, google };
}

const identities = async (app: TestApp) =>
  (
    await app.pool.query<{ provider: string; issuer: string; subject: string }>(
      "select provider, issuer, subject from user_identities order by id",
    )
  ).rows;

/** Ann logs in with her password and links Microsoft as `sub` from Connected accounts. */
async function annLinksMicrosoft(app: TestApp, sub: string, tamper?: (callback: URL) => void) {
  await makeUser(app.pool, "ann@example.com");
  const ann = app.client();
  await logIn(ann, "ann@example.com");
  await ann.get("/account");
  const start = await ann.post("/account/providers/microsoft/link", {});
  expect(start.status).toBe(303);
  const callback = await signInAtProvider(start.location as string, sub);
  tamper?.(callback);
  return { ann, reply: await ann.get(callback.pathname + callback.search) };
}

describe("Microsoft, multi-tenant (common)", () => {
  test("linked and signed in with: keyed on the tenant and the user's oid", async () => {
    const { app, microsoft } = await setup();
    microsoft.accounts.set("sub-ann", { email: "ann@contoso.example", email_verified: true });
    const { ann, reply } = await annLinksMicrosoft(app, "sub-ann");
    expect(reply.status, reply.body.slice(0, 300)).toBe(303);
    expect((await ann.get("/account")).body).toContain("Microsoft is linked");
    expect(await identities(app)).toEqual([
      {
        provider: "microsoft",
        issuer: `${microsoft.url}/${TEST_TENANT}/v2.0`,
        subject: "oid-sub-ann",
      },
    ]);
    const elsewhere = app.client();
    const { reply: again } = await signInWithProvider(elsewhere, "sub-ann", undefined, MICROSOFT);
    expect(again.location).toBe("/account");
    expect(await accountOf(elsewhere)).toBe("ann@example.com");
  });

  test("the start sends the browser to the tenant's authorize page with PKCE, state and nonce", async () => {
    const { app, microsoft } = await setup();
    const browser = app.client();
    await browser.get("/login");
    const start = new URL((await browser.post("/auth/microsoft/start", {})).location as string);
    expect(start.origin).toBe(microsoft.url);
    expect(start.searchParams.get("scope")).toBe("openid email profile");
    expect(start.searchParams.get("code_challenge_method")).toBe("S256");
    expect(start.searchParams.get("nonce")).toBeTruthy();
    expect(start.searchParams.get("redirect_uri")).toBe(`${app.url}/auth/microsoft/callback`);
  });

  test("its email claim is never proof of the address: a first sign-in makes no account (403)", async () => {
    const { app, microsoft } = await setup();
    microsoft.accounts.set("sub-zoe", { email: "zoe@contoso.example", email_verified: true });
    const browser = app.client();
    const { reply } = await signInWithProvider(browser, "sub-zoe", undefined, MICROSOFT);
    expect(reply.status).toBe(403);
    expect(reply.body).toContain("Microsoft has not confirmed that zoe@contoso.example is yours");
    expect(await identities(app)).toEqual([]);
  });

  test("nor with AUTH_TRUSTED_PROVIDERS: an account with that address is not joined", async () => {
    const { app, microsoft } = await setup({ AUTH_TRUSTED_PROVIDERS: "microsoft" });
    await makeUser(app.pool, "victim@example.com");
    await app.pool.query("update users set email_verified_at = now()");
    // Any tenant's admin can give any user any address.
    microsoft.accounts.set("sub-mallory", { email: "victim@example.com", email_verified: true });
    const browser = app.client();
    const { reply } = await signInWithProvider(browser, "sub-mallory", undefined, MICROSOFT);
    expect(reply.status).toBe(403);
    expect(await accountOf(browser)).toBeUndefined();
    expect(await identities(app)).toEqual([]);
  });

  test("an ID token whose tid is not its issuer's tenant is refused", async () => {
    const { app, microsoft } = await setup();
    // The tenant's own issuer signs a token naming another tenant.
    microsoft.accounts.set("sub-odd", {
      email: "odd@contoso.example",
      tid: "00000000-0000-0000-0000-000000000001",
    });
    // Without the answer's `iss` (Entra ID sends none), the ID token's own iss and tid decide.
    const { ann, reply } = await annLinksMicrosoft(app, "sub-odd", (callback) =>
      callback.searchParams.delete("iss"),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("Signing in with Microsoft did not work");
    expect(reply.body).toContain("Microsoft&#39;s answer did not match this sign-in");
    expect(await identities(app)).toEqual([]);
    expect(await accountOf(ann)).toBe("ann@example.com");
    const logged = app.logs.entries().find((line) => line.msg === "provider sign-in failed");
    expect(JSON.stringify(logged)).toContain("unexpected JWT claim value encountered");
  });

  test("a single tenant (MICROSOFT_TENANT): its own issuer, checked as any other", async () => {
    const microsoft = await startTestProvider({ tenant: TEST_TENANT });
    const app = await startTestApp({
      env: {
        MICROSOFT_CLIENT_ID: OIDC_CLIENT.id,
        MICROSOFT_CLIENT_SECRET: OIDC_CLIENT.secret,
        MICROSOFT_BASE_URL: microsoft.url,
        MICROSOFT_TENANT: TEST_TENANT,
      },
    });
    microsoft.start(`${app.url}/auth/microsoft/callback`);
    microsoft.accounts.set("sub-ann", { email: "ann@contoso.example" });
    const { reply } = await annLinksMicrosoft(app, "sub-ann");
    expect(reply.status).toBe(303);
    expect(await identities(app)).toHaveLength(1);
  });

  test("Microsoft down: 503 at the start, naming it", async () => {
    const { app, microsoft } = await setup();
    await microsoft.close();
    const browser = app.client();
    await browser.get("/login");
    const reply = await browser.post("/auth/microsoft/start", {});
    expect(reply.status).toBe(503);
    expect(reply.body).toContain("Microsoft cannot be reached right now");
  });
});

describe("Google", () => {
  test("a first sign-in with an address Google vouches for makes the account", async () => {
    const { app, google } = await setup();
    google.accounts.set("sub-gus", { email: "gus@gmail.example", email_verified: true });
    const browser = app.client();
    const { reply } = await signInWithProvider(browser, "sub-gus", undefined, GOOGLE);
    expect(reply.location).toBe("/account");
    expect(await accountOf(browser)).toBe("gus@gmail.example");
    expect(await identities(app)).toEqual([
      { provider: "google", issuer: google.issuer, subject: "sub-gus" },
    ]);
  });

  test('Google failing (HTTP 500 from its token endpoint): 502, "Google said no"', async () => {
    const { app, google } = await setup();
    google.accounts.set("sub-gus", { email: "gus@gmail.example", email_verified: true });
    const browser = app.client();
    await browser.get("/login");
    const start = await browser.post("/auth/google/start", {});
    const callback = await signInAtProvider(start.location as string, "sub-gus");
    google.failWith(500);
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("Google said no");
    expect(await accountOf(browser)).toBeUndefined();
  });
});
