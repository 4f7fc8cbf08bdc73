import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import { flashSaying, pathOf, submitLoginForm, textOf, useBrowser } from "../helpers/e2e.js";

const e2e = useBrowser();
const NEW_PASSWORD = "a completely new passphrase";

test("forgot password → the mail in the development outbox → its link → a new password → logged in with it", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "reset@example.com");
  const { page } = await e2e.newPage(app);

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.waitForURL("**/password/forgot");
  await page.getByLabel("Email").fill("reset@example.com");
  await page.getByRole("button", { name: "Send reset link" }).click();
  await flashSaying(page, "If an account exists for that address, we sent a link");

  // The development outbox: the newest mail first, its link clickable.
  await page.goto("/dev/mail");
  await page.getByRole("link", { name: "Reset your password" }).first().click();
  await page.waitForURL("**/dev/mail/*");
  expect(await textOf(page.getByTestId("mail-to"))).toBe("reset@example.com");
  await page.getByRole("link", { name: /\/password\/reset\// }).click();
  await page.waitForURL("**/password/reset/*");

  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.waitForURL("**/login?reset=1");
  await flashSaying(page, "Your password was changed. Log in with the new one.");

  await submitLoginForm(page, "reset@example.com", { password: NEW_PASSWORD });
  await page.waitForURL("**/account");
  expect(pathOf(page)).toBe("/account");
  await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
});
