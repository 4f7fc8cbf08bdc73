import { expect, test } from "vitest";
import { logIn, makeUser } from "../../helpers/auth.js";
import { hasFeature } from "../../helpers/features.js";
import { HttpClient, jsonOf } from "../../helpers/http-client.js";
import { signInWithProvider, startAppWithProvider } from "../../helpers/oidc-provider.js";
import { enableTwoFactor, testClock, totpCode } from "../../helpers/totp.js";

/**
 * RP-initiated logout (OIDC_LOGOUT=true, or OIDC_<ID>_LOGOUT, MICROSOFT_LOGOUT): a session signed
 * in with such a provider logs out here, then at the provider's end_session_endpoint, which sends
 * the browser back to /login?loggedout=1.
 */

test("with OIDC_LOGOUT=true, logging out ends the session here, then at the provider", async () => {
  const { app, provider } = await startAppWithProvider({ env: { OIDC_LOGOUT: "true" } });
  provider.accounts.set("sub-lou", { email: "lou@example.com", email_verified: true });
  const browser = app.client();
  await signInWithProvider(browser, "sub-lou");
  const page = await browser.get("/account");
  // The logout form's redirect goes to the provider: CSP form-action lets it.
  expect(page.headers.get("content-security-policy")).toContain(
    `form-action 'self' ${new URL(provider.issuer).origin}`,
  );

  const out = await browser.post("/logout", {});
  expect(out.status).toBe(303);
  const end = new URL(out.location as string);
  expect(`${end.origin}${end.pathname}`).toBe(`${provider.issuer}/session/end`);
  expect(end.searchParams.get("post_logout_redirect_uri")).toBe(`${app.url}/login?loggedout=1`);
  expect(end.searchParams.get("id_token_hint")).toMatch(/^ey/);
  expect((await browser.get("/account")).status).toBe(303);

  // At the provider: "Do you want to sign out?", yes, and back to the app's login page.
  const atProvider = new HttpClient(end.origin);
  const confirm = await atProvider.get(end.href);
  expect(confirm.status).toBe(200);
  const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1] as string;
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] as string;
  const done = await atProvider.request("POST", action, { form: { xsrf, logout: "yes" } });
  expect(done.location).toBe(`${app.url}/login?loggedout=1`);
});

test("a script logging out gets where to go next", async () => {
  const { app, provider } = await startAppWithProvider({ env: { OIDC_LOGOUT: "true" } });
  provider.accounts.set("sub-lou", { email: "lou@example.com", email_verified: true });
  const browser = app.client();
  await signInWithProvider(browser, "sub-lou");
  await browser.get("/account");
  const out = await browser.postJson("/logout", {});
  expect(out.status).toBe(200);
  const answer = jsonOf<{ loggedOut: boolean; next: string }>(out);
  expect(answer.loggedOut).toBe(true);
  expect(answer.next).toContain(`${provider.issuer}/session/end?`);
});

test("without OIDC_LOGOUT, logging out stays here", async () => {
  const { app, provider } = await startAppWithProvider();
  provider.accounts.set("sub-lou", { email: "lou@example.com", email_verified: true });
  const browser = app.client();
  await signInWithProvider(browser, "sub-lou");
  await browser.get("/account");
  expect((await browser.post("/logout", {})).location).toBe("/login?loggedout=1");
});

test("with it, a session logged in with a password logs out here only", async () => {
  const { app } = await startAppWithProvider({ env: { OIDC_LOGOUT: "true" } });
  await makeUser(app.pool, "pat@example.com");
  const pat = app.client();
  await logIn(pat, "pat@example.com");
  await pat.get("/account");
  expect((await pat.post("/logout", {})).location).toBe("/login?loggedout=1");
});

test.skipIf(!hasFeature("two-factor"))(
  "a provider sign-in finished by a second factor, on a later request, still logs out at the provider",
  async () => {
    const clock = testClock();
    const { app, provider } = await startAppWithProvider({
      clock: clock.clock,
      env: { OIDC_LOGOUT: "true" },
    });
    provider.accounts.set("sub-tia", { email: "tia@example.com", email_verified: true });
    const first = app.client();
    await signInWithProvider(first, "sub-tia");
    const { secret } = await enableTwoFactor(first, clock);

    // A new browser: the provider vouches, then the account asks for its code.
    const browser = app.client();
    const { reply } = await signInWithProvider(browser, "sub-tia");
    expect(reply.location).toBe("/login/two-factor");
    await browser.get("/login/two-factor");
    const done = await browser.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
    expect(done.status).toBe(303);

    await browser.get("/account");
    const out = await browser.post("/logout", {});
    const end = new URL(out.location as string);
    expect(`${end.origin}${end.pathname}`).toBe(`${provider.issuer}/session/end`);
    expect(end.searchParams.get("id_token_hint")).toMatch(/^ey/);
    expect((await browser.get("/account")).status).toBe(303);
  },
);
