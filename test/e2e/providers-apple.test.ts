import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { type AppleServer, startAppleServer } from "../helpers/apple-server.js";
import { flashSaying, textOf, useBrowser } from "../helpers/e2e.js";

const e2e = useBrowser();

/**
 * Sign in with Apple in Chromium: the app on http://localhost, the Apple stand-in on 127.0.0.1,
 * another site, so its form_post answer is a real cross-site POST that carries none of the app's
 * (SameSite=Lax) cookies.
 */
async function setup() {
  const apple = await startAppleServer();
  const app = await e2e.startApp({ env: apple.env, hostname: "localhost" });
  apple.start(`${app.url}/auth/apple/callback`);
  apple.accounts.set("001234.jane", {
    email: "jane@privaterelay.appleid.com",
    firstName: "Jane",
    lastName: "Appleseed",
  });
  return { app, apple };
}

async function atApple(page: Page, apple: AppleServer, button = "Continue") {
  await page.waitForURL((url) => url.origin === apple.url);
  await page.getByLabel("Apple ID").fill("001234.jane");
  await page.getByRole("button", { name: button }).click();
}

test("Continue with Apple: its cross-site POST arrives without our cookies, and the sign-in still completes", async () => {
  const { app, apple } = await setup();
  expect(new URL(app.url).hostname).toBe("localhost");
  const { page } = await e2e.newPage(app);
  await page.goto("/register");
  await page.getByRole("button", { name: "Continue with Apple" }).click();
  const posted = page.waitForRequest(
    (r) => r.method() === "POST" && r.url() === `${app.url}/auth/apple/callback`,
  );
  await atApple(page, apple);
  // Chromium sent the POST from Apple's page without the flow cookie (SameSite=Lax)...
  expect((await (await posted).allHeaders()).cookie ?? "").not.toContain("oidc_flow");
  // ...and the sign-in completed all the same.
  await page.waitForURL(`${app.url}/account`);
  expect(await textOf(page.locator("p.lead"))).toContain(
    "Logged in as jane@privaterelay.appleid.com",
  );
  expect(await textOf(page.locator("ul.identities"))).toContain(
    "Linked as Jane Appleseed (jane@privaterelay.appleid.com).",
  );
});

test("Cancel at Apple: back to the login page, saying so", async () => {
  const { app, apple } = await setup();
  const { page } = await e2e.newPage(app);
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with Apple" }).click();
  await atApple(page, apple, "Cancel");
  await page.waitForURL(`${app.url}/login`);
  await flashSaying(page, "You cancelled signing in with Apple, so nobody was signed in.");
});
