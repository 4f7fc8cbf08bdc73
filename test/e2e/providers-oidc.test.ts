import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  flashSaying,
  logInWithBrowser,
  pathOf,
  textOf,
  useBrowser,
  type WatchedContext,
} from "../helpers/e2e.js";
import {
  pressContinue as pressContinueOver,
  providerEnv,
  signInAtProvider,
  startTestProvider,
  type TestProvider,
} from "../helpers/oidc-provider.js";

const e2e = useBrowser();

/** The app with OIDC_* ("TestID") pointing at a real provider on 127.0.0.1. */
async function setup(env: Record<string, string> = {}) {
  const provider = await startTestProvider();
  const app = await e2e.startApp({ env: { ...providerEnv(provider), ...env } });
  provider.start(`${app.url}/auth/oidc/callback`);
  return { app, provider };
}

/** At the provider's own (development) login and consent pages: log in as `sub`, consent. */
async function logInAtProvider(page: Page, provider: TestProvider, sub: string) {
  await page.waitForURL((url) => url.origin === provider.issuer);
  await page.locator('input[name="login"]').fill(sub);
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

/**
 * The development provider's pages ask for web fonts this machine cannot reach and have no
 * favicon: those are its problems. Ours, and every CSP violation, still fail the test.
 */
function expectNoProblemsOfOurs(watched: WatchedContext, appUrl: string) {
  const ours = (line: string) => line.includes(appUrl);
  expect(watched.problems.consoleErrors.filter(ours)).toEqual([]);
  expect(watched.problems.pageErrors.filter(ours)).toEqual([]);
  expect(watched.problems.cspViolations).toEqual([]);
  watched.clearProblems();
}

test("Continue with TestID: log in at the provider, consent, and land on the account page logged in", async () => {
  const { app, provider } = await setup();
  provider.accounts.set("sub-eve", { email: "eve@example.com", email_verified: true });

  const { watched, page } = await e2e.newPage(app);
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with TestID" }).click();
  await logInAtProvider(page, provider, "sub-eve");

  await page.waitForURL(`${app.url}/account`);
  expect(pathOf(page)).toBe("/account");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as eve@example.com");
  expect(await textOf(page.locator("#connected-accounts-title"))).toBe("Connected accounts");
  expect(await textOf(page.locator("ul.identities"))).toContain("TestID");

  // Logged out, the same button logs back in to the same account without asking again.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login\?loggedout=1$/);
  await page.getByRole("button", { name: "Continue with TestID" }).click();
  await page.waitForURL(`${app.url}/account`);
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as eve@example.com");
  expectNoProblemsOfOurs(watched, app.url);
});

test("Link TestID from Connected accounts, then Unlink it", async () => {
  const { app, provider } = await setup();
  await makeUser(app.pool, "ann@example.com");
  provider.accounts.set("sub-ann", { email: "ann@work.example", email_verified: true });
  const { watched, page } = await e2e.newPage(app);
  await logInWithBrowser(page, "ann@example.com");
  await page.getByRole("link", { name: "Connected accounts" }).click();
  await page.getByRole("button", { name: "Link TestID" }).click();
  await logInAtProvider(page, provider, "sub-ann");
  await page.waitForURL(`${app.url}/account`);
  await flashSaying(page, "TestID is linked: you can sign in with it now.");
  expect(await textOf(page.locator("ul.identities"))).toContain("Linked as ann@work.example.");

  await page.getByRole("button", { name: "Unlink TestID: ann@work.example" }).click();
  await flashSaying(page, "TestID was unlinked from your account.");
  expect(await page.locator("ul.identities").count()).toBe(0);
  expectNoProblemsOfOurs(watched, app.url);
});

test("refusals in the browser: an unverified address, a wrong state, a replayed code", async () => {
  const { app, provider } = await setup();
  provider.accounts.set("sub-unverified", { email: "who@example.com", email_verified: false });
  provider.accounts.set("sub-ok", { email: "ok@example.com", email_verified: true });
  /** A new browser profile on the login page, pressing "Continue with TestID". */
  const pressContinue = async () => {
    const { watched, page } = await e2e.newPage(app);
    for (const status of [400, 403]) watched.expectStatus(status, "/auth/oidc/callback");
    await page.goto("/login");
    await page.getByRole("button", { name: "Continue with TestID" }).click();
    return { watched, page };
  };
  const refused = async (page: Page, says: string) => {
    await page.getByRole("heading", { name: "Signing in with TestID did not work" }).waitFor();
    expect(await textOf(page.locator("main"))).toContain(says);
    expect(await textOf(page.locator("header"))).not.toContain("Log out");
  };

  // An address the provider has not confirmed makes no account.
  const unverified = await pressContinue();
  await logInAtProvider(unverified.page, provider, "sub-unverified");
  await refused(unverified.page, "TestID has not confirmed that who@example.com is yours");
  expectNoProblemsOfOurs(unverified.watched, app.url);

  // A state this browser never made: the callback of someone else's sign-in (a link they sent)
  // while this browser's own is under way. 400.
  const pending = await pressContinue();
  await pending.page.waitForURL((url) => url.origin === provider.issuer);
  const someoneElse = app.client();
  const theirs = await signInAtProvider(await pressContinueOver(someoneElse), "sub-ok");
  await pending.page.goto(theirs.href);
  await refused(pending.page, "answer did not match this sign-in");
  expectNoProblemsOfOurs(pending.watched, app.url);

  // A code used once, replayed with the same flow cookie in another browser: 400.
  const first = await pressContinue();
  await first.page.waitForURL((url) => url.origin === provider.issuer);
  const flow = await first.watched.cookie("oidc_flow");
  const callback = first.page.waitForRequest((r) => r.url().includes("/auth/oidc/callback?"));
  await logInAtProvider(first.page, provider, "sub-ok");
  const used = (await callback).url();
  await first.page.waitForURL(`${app.url}/account`);
  expectNoProblemsOfOurs(first.watched, app.url);
  const { watched: other, page: replayer } = await e2e.newPage(app);
  other.expectStatus(400, "/auth/oidc/callback");
  await other.context.addCookies([{ name: "oidc_flow", value: flow?.value ?? "", url: app.url }]);
  await replayer.goto(used);
  await refused(replayer, "TestID refused to complete the sign-in");
});

test("the provider down: a 503 page naming it", async () => {
  const { app, provider } = await setup();
  await provider.close();
  const { watched, page } = await e2e.newPage(app);
  watched.expectStatus(503, "/auth/oidc/start");
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with TestID" }).click();
  await page.getByRole("heading", { name: "Temporarily unavailable" }).waitFor();
  expect(await textOf(page.locator("main"))).toContain("TestID cannot be reached right now");
});

test("AUTH_TRUSTED_PROVIDERS=oidc: a vouched-for address joins its account; without it, a 409 page", async () => {
  for (const trusted of [false, true]) {
    const { app, provider } = await setup(trusted ? { AUTH_TRUSTED_PROVIDERS: "oidc" } : {});
    await makeUser(app.pool, "joe@example.com");
    await app.pool.query("update users set email_verified_at = now()");
    provider.accounts.set("sub-joe", { email: "joe@example.com", email_verified: true });
    const { watched, page } = await e2e.newPage(app);
    watched.expectStatus(409, "/auth/oidc/callback");
    await page.goto("/login");
    await page.getByRole("button", { name: "Continue with TestID" }).click();
    await logInAtProvider(page, provider, "sub-joe");
    if (trusted) {
      await page.waitForURL(`${app.url}/account`);
      await flashSaying(page, "TestID is now linked to your account");
    } else {
      await page.getByRole("heading", { name: "Signing in with TestID did not work" }).waitFor();
      expect(await textOf(page.locator("main"))).toContain(
        "An account with joe@example.com already exists.",
      );
    }
    expectNoProblemsOfOurs(watched, app.url);
    await watched.close();
    await app.close();
    await provider.close();
  }
});
