import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";
import { makeUser, PASSWORD } from "../helpers/auth.js";
import {
  logInWithBrowser,
  pathOf,
  SCREENSHOTS_DIR,
  saveScreenshot,
  submitLoginForm,
  textOf,
  useBrowser,
  type WatchedContext,
} from "../helpers/e2e.js";

const e2e = useBrowser();

const heading = (page: Page) => textOf(page.getByRole("heading", { level: 1 }));

/** Opens a page and checks what it answered. */
async function visit(page: Page, path: string, status = 200): Promise<void> {
  const response = await page.goto(path);
  expect(response?.status(), path).toBe(status);
}

/** Fills the register form with a bad email and a short password and submits it: a 400. */
async function registerWithErrors(watched: WatchedContext, page: Page): Promise<void> {
  watched.expectStatus(400, "/register");
  await visit(page, "/register");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Use at least 12 characters.").waitFor();
  expect(await textOf(page.locator("#email-error"))).toBe(
    "Enter an email address like name@example.com.",
  );
}

/** Swaps the header's logout token for a made-up one and presses "Log out": the 403 page. */
async function forgedLogout(watched: WatchedContext, page: Page): Promise<void> {
  watched.expectStatus(403, "/logout");
  await page
    .locator("header form[action='/logout'] input[name=_csrf]")
    .evaluate((input: { value: string }) => {
      input.value = "made-up-token";
    });
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL("**/logout");
  expect(await heading(page)).toBe("This form has expired");
}

/** Fails to log in until the limit answers 429 (the app runs with perAccount: 2). */
async function tooManyAttempts(watched: WatchedContext, page: Page, email: string) {
  watched.expectStatus(401, "/login");
  watched.expectStatus(429, "/login");
  await visit(page, "/login");
  for (const status of [401, 401, 429]) {
    const [answered] = await Promise.all([
      page.waitForResponse((res) => res.request().method() === "POST"),
      submitLoginForm(page, email, { password: "not the password" }),
    ]);
    expect(answered.status()).toBe(status);
  }
  expect(await heading(page)).toBe("Too many attempts");
}

const limits = { perIp: 20, perAccount: 2, windowSeconds: 900 };

test("no console errors and no CSP violations on any page, public, private or error", async () => {
  const app = await e2e.startApp({ loginLimits: limits });
  await makeUser(app.pool, "tour@example.com");
  const { watched, page } = await e2e.newPage(app);

  await visit(page, "/");
  await visit(page, "/register");
  await registerWithErrors(watched, page);
  await visit(page, "/login");
  watched.expectStatus(404, "/no-such-page");
  await visit(page, "/no-such-page", 404);
  expect(await heading(page)).toBe("Page not found");

  await logInWithBrowser(page, "tour@example.com");
  // The account page's own script ran under the policy: it turned the dates into countdowns.
  const deadline = page.locator("dd [data-countdown]").first();
  await expect.poll(() => textOf(deadline)).toMatch(/^\d+m \d+s$/);
  await visit(page, "/");
  expect(await textOf(page.getByText("You are logged in as"))).toContain("tour@example.com");
  await visit(page, "/no-such-page", 404);
  await visit(page, "/account");
  await forgedLogout(watched, page);

  // Another browser, not logged in, runs into the login limit.
  const other = await e2e.newPage(app);
  await tooManyAttempts(other.watched, other.page, "tour@example.com");
  expect(other.watched.problems).toEqual({ consoleErrors: [], pageErrors: [], cspViolations: [] });

  // Checked again after every test by useBrowser; said here as the point of this one.
  expect(watched.problems).toEqual({ consoleErrors: [], pageErrors: [], cspViolations: [] });
});

test("the checks can fail: an inline script, an uncaught error and an unexpected 404 are all caught", async () => {
  const app = await e2e.startApp();
  const { watched, page } = await e2e.newPage(app);
  await visit(page, "/");

  // Injected as a page would by mistake: the CSP refuses inline scripts.
  await page.evaluate(`(() => {
    const script = document.createElement("script");
    script.textContent = "window.ran = true";
    document.body.append(script);
    setTimeout(() => { throw new Error("boom"); });
  })()`);
  await expect.poll(() => watched.problems.cspViolations.length).toBe(1);
  expect(watched.problems.cspViolations[0]).toMatchObject({ directive: "script-src-elem" });
  expect(await page.evaluate("window.ran === true")).toBe(false);
  await expect.poll(() => watched.problems.pageErrors.join()).toContain("boom");

  // A 404 this test did not say it expected.
  await visit(page, "/not-expected", 404);
  await expect.poll(() => watched.problems.consoleErrors.join("\n")).toMatch(/status of 404/);
  expect(watched.problems.consoleErrors.join("\n")).toMatch(
    /inline script .*Content Security Policy/,
  );

  watched.clearProblems();
});

// UPDATE_DOCS_SCREENSHOTS=1 writes the small README screenshots into docs/screenshots/.
const DOCS_DIR = process.env.UPDATE_DOCS_SCREENSHOTS
  ? join(projectRoot, "docs", "screenshots")
  : join(SCREENSHOTS_DIR, "docs");
const DOCS_MAX_BYTES = 200 * 1024;

/** A small PNG for the README: the top of the page (or one element), 900 px wide. */
async function docShot(page: Page, name: string, selector?: string): Promise<void> {
  mkdirSync(DOCS_DIR, { recursive: true });
  const path = join(DOCS_DIR, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, clip: { x: 0, y: 0, width: 900, height: 640 } });
  expect(statSync(path).size, path).toBeLessThan(DOCS_MAX_BYTES);
}

test("screenshots of every page, under screenshots/", async () => {
  const app = await e2e.startApp({ loginLimits: limits });
  await makeUser(app.pool, "ada@example.com");
  await makeUser(app.pool, "eve@example.com");
  const { watched, page } = await e2e.newPage(app);
  const saved: string[] = [];

  await visit(page, "/");
  saved.push(await saveScreenshot(page, "home"));
  await docShot(page, "home");

  await registerWithErrors(watched, page);
  saved.push(await saveScreenshot(page, "register-errors"));

  await visit(page, "/login");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  saved.push(await saveScreenshot(page, "login"));
  await docShot(page, "login");

  // A second browser, so "your sessions" has someone to revoke.
  const phone = await e2e.newPage(app, {
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile Safari",
  });
  await logInWithBrowser(phone.page, "ada@example.com");
  await submitLoginForm(page, "ada@example.com", { remember: true });
  await page.waitForURL("**/account");
  await page.getByRole("link", { name: "Account" }).click();
  await page.waitForURL("**/account");
  expect(await page.getByTestId("sessions").locator("tbody tr").count()).toBe(2);
  saved.push(await saveScreenshot(page, "account"));
  await docShot(page, "account");
  await page.locator("section[aria-labelledby=sessions-title]").screenshot({
    path: join(SCREENSHOTS_DIR, "sessions.png"),
  });
  saved.push(join(SCREENSHOTS_DIR, "sessions.png"));
  await docShot(page, "sessions", "section[aria-labelledby=sessions-title]");

  await forgedLogout(watched, page);
  saved.push(await saveScreenshot(page, "403"));

  watched.expectStatus(404, "/no-such-page");
  await visit(page, "/no-such-page", 404);
  saved.push(await saveScreenshot(page, "404"));

  const other = await e2e.newPage(app);
  await tooManyAttempts(other.watched, other.page, "eve@example.com");
  saved.push(await saveScreenshot(other.page, "429"));

  expect(pathOf(page)).toBe("/no-such-page");
  for (const path of saved) expect(statSync(path).size, path).toBeGreaterThan(5_000);
});
