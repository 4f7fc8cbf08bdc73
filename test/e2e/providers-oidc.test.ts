import { expect, test } from "vitest";
import { pathOf, textOf, useBrowser } from "../helpers/e2e.js";
import { OIDC_CLIENT, startTestProvider } from "../helpers/oidc-provider.js";

const e2e = useBrowser();

test("Continue with TestID: log in at the provider, consent, and land on the account page logged in", async () => {
  const provider = await startTestProvider();
  const app = await e2e.startApp({
    env: {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: OIDC_CLIENT.id,
      OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      OIDC_NAME: "TestID",
    },
  });
  provider.start(`${app.url}/auth/oidc/callback`);
  provider.accounts.set("sub-eve", { email: "eve@example.com", email_verified: true });

  const { watched, page } = await e2e.newPage(app);
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with TestID" }).click();
  // The provider's own (development) login and consent pages.
  await page.waitForURL((url) => url.origin === provider.issuer);
  await page.locator('input[name="login"]').fill("sub-eve");
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();

  await page.waitForURL(`${app.url}/account`);
  expect(pathOf(page)).toBe("/account");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as eve@example.com");
  expect(await textOf(page.locator("#oidc-title"))).toBe("Sign in with TestID");

  // Logged out, the same button logs back in to the same account without asking again.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login\?loggedout=1$/);
  await page.getByRole("button", { name: "Continue with TestID" }).click();
  await page.waitForURL(`${app.url}/account`);
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as eve@example.com");

  // The development provider's pages ask for web fonts this machine cannot reach and have no
  // favicon: those are its problems. Ours, and every CSP violation, still fail the test.
  const ours = (line: string) => line.includes(app.url);
  expect(watched.problems.consoleErrors.filter(ours)).toEqual([]);
  expect(watched.problems.pageErrors.filter(ours)).toEqual([]);
  expect(watched.problems.cspViolations).toEqual([]);
  watched.clearProblems();
});
