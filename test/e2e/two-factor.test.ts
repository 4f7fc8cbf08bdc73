import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  logInWithBrowser,
  pathOf,
  saveScreenshot,
  submitLoginForm,
  textOf,
  useBrowser,
} from "../helpers/e2e.js";
import { STEP_MS, testClock, totpCode } from "../helpers/totp.js";

const e2e = useBrowser();

test("set up two-factor from the security page, log out, and log back in with a code", async () => {
  const clock = testClock();
  const app = await e2e.startApp({ clock: clock.clock });
  await makeUser(app.pool, "ada@example.com");
  const { page } = await e2e.newPage(app);
  await logInWithBrowser(page, "ada@example.com");

  await page.getByRole("link", { name: /^Security/ }).click();
  await page.waitForURL("**/account/security");
  await page.getByRole("button", { name: "Set up two-factor" }).click();
  await page.waitForURL("**/account/two-factor/setup*");

  // The QR code is drawn (an inline SVG, under the unchanged CSP) and the key is shown as text.
  const qr = page.getByTestId("totp-qr").locator("svg");
  await qr.waitFor();
  const box = await qr.boundingBox();
  expect(box?.width).toBeGreaterThan(100);
  // The key as a person reads it off the screen: in groups of four.
  const shown = (await textOf(page.locator("[data-totp-secret]"))).trim();
  expect(shown).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  const secret = shown.replaceAll(" ", "");
  await expect.poll(() => page.getByRole("button", { name: "Copy key" }).isVisible()).toBe(true);
  await saveScreenshot(page, "two-factor-setup");

  await page.getByLabel("Code from the app").fill(totpCode(secret, clock.now()));
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
  expect(await page.getByTestId("recovery-codes").locator("li").count()).toBe(10);
  await saveScreenshot(page, "two-factor-recovery-codes");
  await page.getByRole("link", { name: "I have saved them" }).click();
  await page.waitForURL("**/account/security");
  expect(await textOf(page.getByTestId("two-factor-status"))).toContain("On:");

  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL("**/login?loggedout=1");

  // The code used to turn it on is spent: log back in with the next one.
  clock.advance(STEP_MS);
  await submitLoginForm(page, "ada@example.com");
  await page.waitForURL("**/login/two-factor");
  await page.getByLabel("Code", { exact: true }).fill(totpCode(secret, clock.now()));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.waitForURL("**/account");
  expect(pathOf(page)).toBe("/account");
  expect(await textOf(page.locator("header.site"))).toContain("ada@example.com");
});
