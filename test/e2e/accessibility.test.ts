import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { makeUser, PASSWORD } from "../helpers/auth.js";
import { axeFinds, TOUR_ERROR_STATUSES, type Violation } from "../helpers/axe.js";
import { logInWithBrowser, submitLoginForm, textOf, useBrowser } from "../helpers/e2e.js";
import { STEP_MS, testClock, totpCode } from "../helpers/totp.js";

/**
 * Issue 26: axe-core finds nothing on every page state a person reaches (logged out, logged in,
 * mid two-factor, each form's error), in light and dark mode; and after any failed submit the
 * focus is on the field in error (even far down the security page) with its message announced
 * (role=alert). axe runs in the page through Playwright's evaluate, which the CSP does not see.
 */

const e2e = useBrowser();
/** The state's name and what axe found there: collected, so one run lists every page's findings. */
async function check(page: Page, state: string, found: Record<string, Violation[]>): Promise<void> {
  const violations = await axeFinds(page);
  if (violations.length > 0) found[state] = violations;
}

const activeId = (page: Page) =>
  page.evaluate<string>("document.activeElement ? document.activeElement.id : ''");

/** After a failed submit: the message announced (role=alert), the focus on the field `id`. */
async function errorFocused(page: Page, id: string, text: string | RegExp): Promise<void> {
  await page.getByRole("alert").filter({ hasText: text }).first().waitFor();
  await expect.poll(() => activeId(page), { timeout: 10_000 }).toBe(id);
}

for (const colorScheme of ["light", "dark"] as const) {
  test(`every page state has no axe violations and each failed submit focuses its error (${colorScheme})`, async () => {
    const clock = testClock();
    const app = await e2e.startApp({ clock: clock.clock });
    await makeUser(app.pool, "ada@example.com");
    const { watched, page } = await e2e.newPage(app, { colorScheme });
    for (const [status, path] of TOUR_ERROR_STATUSES) {
      watched.expectStatus(status, path);
    }
    const found: Record<string, Violation[]> = {};

    // Logged out.
    for (const path of ["/", "/login", "/register", "/password/forgot"]) {
      await page.goto(path);
      await check(page, path, found);
    }

    // The forms' errors: login (focus on the password), register, forgot.
    await page.goto("/login");
    await submitLoginForm(page, "ada@example.com", { password: "not the password at all" });
    await errorFocused(page, "password", "Email or password is incorrect.");
    expect(await page.getByLabel("Email").inputValue()).toBe("ada@example.com");
    await check(page, "login, wrong password", found);

    await page.goto("/register");
    await page.getByLabel("Password").pressSequentially("short");
    expect(await textOf(page.locator("#password-strength"))).toContain("7 more characters");
    await page.getByRole("button", { name: "Create account" }).click();
    await errorFocused(page, "email", /./);
    await check(page, "register, errors", found);

    await page.goto("/password/forgot");
    await page.getByLabel("Email").fill("not-an-address");
    await page.getByRole("button", { name: "Send reset link" }).click();
    await errorFocused(page, "email", /./);
    await check(page, "forgot, error", found);
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page
      .getByTestId("forgot-sent")
      .getByRole("link", { name: /outbox/ })
      .waitFor();
    await check(page, "forgot, sent", found);

    // Logged in.
    await logInWithBrowser(page, "ada@example.com");
    for (const path of ["/account", "/account/security", "/account/sessions"]) {
      await page.goto(path);
      await check(page, path, found);
    }

    // The security page's forms: each failure focuses its own form's field, far down or not.
    await page.goto("/account/security");
    await page.getByLabel("Current password").fill("not the password at all");
    await page.getByLabel("New password").fill("a brand new long passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    await errorFocused(page, "current_password", "That is not your current password.");
    await check(page, "security, wrong current password", found);

    await page.getByLabel("Current password").fill("anything");
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Change password" }).click();
    await errorFocused(page, "new_password", /./);

    await page.getByLabel("Type your email address to confirm").fill("someone@example.com");
    await page.getByRole("button", { name: "Delete account" }).click();
    await errorFocused(page, "email", "Type your email address exactly as shown");
    await check(page, "security, delete refused", found);

    await page.goto("/account/email");
    await page.getByLabel("New email address").fill("new@example.com");
    await page.getByLabel("Current password").fill("not the password at all");
    await page.getByRole("button", { name: "Send confirmation link" }).click();
    await errorFocused(page, "current_password", "That is not your current password.");
    expect(await page.getByLabel("New email address").inputValue()).toBe("new@example.com");
    await check(page, "change email, wrong password", found);

    // Sudo mode ran out: the confirm form, and its error.
    clock.advance(11 * 60_000);
    await page.goto("/account/email");
    await page.waitForURL("**/account/confirm*");
    await check(page, "confirm", found);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Confirm" }).click();
    await errorFocused(page, "password", "That is not your password.");
    await check(page, "confirm, wrong password", found);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.waitForURL("**/account/email");

    // Two-factor: setup with a wrong code, then on; then a login stops at the code.
    await page.goto("/account/security");
    await page.getByRole("button", { name: "Set up two-factor" }).click();
    await page.waitForURL("**/account/two-factor/setup*");
    await check(page, "two-factor setup", found);
    const secret = (await textOf(page.locator("[data-totp-secret]"))).replaceAll(" ", "").trim();
    await page.getByLabel("Code from the app").fill("000000");
    await page.getByRole("button", { name: "Turn on two-factor" }).click();
    await errorFocused(page, "code", /./);
    await check(page, "two-factor setup, wrong code", found);
    await page.getByLabel("Code from the app").fill(totpCode(secret, clock.now()));
    await page.getByRole("button", { name: "Turn on two-factor" }).click();
    await page.getByRole("heading", { name: "Your recovery codes" }).waitFor();
    await check(page, "two-factor recovery codes", found);
    clock.advance(STEP_MS);

    await page.getByRole("button", { name: "Log out", exact: true }).click();
    await page.waitForURL("**/login?loggedout=1");
    await submitLoginForm(page, "ada@example.com");
    await page.waitForURL("**/login/two-factor");
    await check(page, "mid two-factor", found);
    await page.getByLabel("Code", { exact: true }).fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await errorFocused(page, "code", "That code is not right.");
    await check(page, "mid two-factor, wrong code", found);

    expect(found).toEqual({});
  });
}

test("a limit reached at login shows on the form: 429, Retry-After, the email kept, focus on the password", async () => {
  const app = await e2e.startApp({ loginLimits: { perIp: 1, perAccount: 1 } });
  await makeUser(app.pool, "bo@example.com");
  const { watched, page } = await e2e.newPage(app);
  watched.expectStatus(401, "/login");
  watched.expectStatus(429, "/login");
  await page.goto("/login");
  await submitLoginForm(page, "bo@example.com", { password: "not the password at all" });
  await errorFocused(page, "password", "Email or password is incorrect.");

  const answer = page.waitForResponse(
    (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login",
  );
  await submitLoginForm(page, "bo@example.com", { password: "not the password either" });
  const response = await answer;
  expect(response.status()).toBe(429);
  expect(Number(response.headers()["retry-after"])).toBeGreaterThan(0);
  await errorFocused(page, "password", /Too many login attempts/);
  expect(await page.getByLabel("Email").inputValue()).toBe("bo@example.com");
  expect(await page.getByLabel("Password").inputValue()).toBe("");
  expect(await axeFinds(page)).toEqual([]);
});
