import { statSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContextOptions, Page } from "playwright-core";
import { expect, test } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { makeUser, PASSWORD } from "../helpers/auth.js";
import {
  docShot,
  expectNoSidewaysScroll,
  logInWithBrowser,
  SCREENSHOTS_DIR,
  saveScreenshot,
  submitLoginForm,
  textOf,
  useBrowser,
  VIEWPORTS,
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
      // The form's POST, not the passkey autofill's request for a challenge.
      page.waitForResponse(
        (res) => res.request().method() === "POST" && new URL(res.url()).pathname === "/login",
      ),
      submitLoginForm(page, email, { password: "not the password" }),
    ]);
    expect(answered.status()).toBe(status);
  }
  // The limit answers on the form itself, the email kept.
  expect(await heading(page)).toBe("Log in");
  await page.getByRole("alert").filter({ hasText: "Too many login attempts" }).waitFor();
  expect(await page.getByLabel("Email").inputValue()).toBe(email);
}

const limits = { perIp: 20, perAccount: 2, windowSeconds: 900 };

test("no console errors and no CSP violations on any page, public, private or error", async () => {
  const app = await e2e.startApp({ loginLimits: limits });
  await makeUser(app.pool, "tour@example.com");
  // A reader in Tokyo: the server writes times in UTC, the account page's script rewrites them.
  const { watched, page } = await e2e.newPage(app, { timezoneId: "Asia/Tokyo" });

  await visit(page, "/");
  await visit(page, "/register");
  await registerWithErrors(watched, page);
  await visit(page, "/login");
  watched.expectStatus(404, "/no-such-page");
  await visit(page, "/no-such-page", 404);
  expect(await heading(page)).toBe("Page not found");

  await logInWithBrowser(page, "tour@example.com");
  // The sessions page's own script ran under the policy: it put the reader's time zone in the
  // exact time (the title) of "Logged in".
  await visit(page, "/account/sessions");
  const loggedIn = page.getByTestId("sessions").locator('td[data-label="Logged in"] time').first();
  await expect.poll(() => loggedIn.getAttribute("title")).toMatch(/GMT\+9$/);
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

const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

/**
 * Every page a visitor can reach, in the states that change it: home, sign-up (and its errors),
 * login, the account page, sessions and devices with a second session to revoke, security, and
 * the 403, 404 and 429 pages.
 * `atEach` runs on each once it has loaded. Needs ada@ and eve@ (limits: perAccount 2).
 */
async function tourEveryPage(
  app: TestApp,
  options: Omit<BrowserContextOptions, "baseURL">,
  atEach: (page: Page, name: string) => Promise<void>,
): Promise<void> {
  const { watched, page } = await e2e.newPage(app, options);
  await visit(page, "/");
  await atEach(page, "home");
  await visit(page, "/register");
  await atEach(page, "register");
  await registerWithErrors(watched, page);
  await atEach(page, "register-errors");

  await visit(page, "/login");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await atEach(page, "login");

  // A phone logs in first, so "your sessions" has someone to revoke.
  const phone = await e2e.newPage(app, { ...options, userAgent: IPHONE });
  await logInWithBrowser(phone.page, "ada@example.com");
  await submitLoginForm(page, "ada@example.com", { remember: true });
  await page.waitForURL("**/account");
  await atEach(page, "account");
  await visit(page, "/account/sessions");
  const sessions = page.getByTestId("sessions").locator("tbody tr");
  await sessions.filter({ hasText: "Safari on iOS" }).waitFor();
  expect(await sessions.count()).toBe(2);
  await atEach(page, "sessions-page");
  await visit(page, "/account/security");
  await atEach(page, "security");
  await visit(page, "/");
  await atEach(page, "home-logged-in");

  await visit(page, "/account");
  await forgedLogout(watched, page);
  await atEach(page, "403");
  watched.expectStatus(404, "/no-such-page");
  await visit(page, "/no-such-page", 404);
  await atEach(page, "404");

  const other = await e2e.newPage(app, options);
  await tooManyAttempts(other.watched, other.page, "eve@example.com");
  await atEach(other.page, "429");
}

/** An app with the two users the tour logs in as. */
async function tourApp(): Promise<TestApp> {
  const app = await e2e.startApp({ loginLimits: limits });
  await makeUser(app.pool, "ada@example.com");
  await makeUser(app.pool, "eve@example.com");
  return app;
}

test.each(Object.entries(VIEWPORTS))(
  "every page fits the width of a %s: nothing scrolls sideways",
  async (_name, viewport) => {
    const app = await tourApp();
    const seen: string[] = [];
    await tourEveryPage(app, { viewport }, async (page, name) => {
      await expectNoSidewaysScroll(page, name);
      seen.push(name);
    });
    expect(seen).toHaveLength(11);
  },
);

/** The header's height, and how many rows its items (the brand and each link) sit in. */
function headerLayout(page: Page): Promise<{ height: number; rows: number; items: number }> {
  return page.evaluate(`(() => {
    const nav = document.querySelector("header.site nav");
    const items = [nav.querySelector(".brand"), ...nav.querySelectorAll("li")];
    const middles = items.map((el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; });
    middles.sort((a, b) => a - b);
    const rows = middles.filter((m, i) => i === 0 || m - middles[i - 1] > 4).length;
    return { height: nav.getBoundingClientRect().height, rows, items: items.length };
  })()`);
}

test.each(Object.entries(VIEWPORTS))(
  "the header is one row on a %s, as tall logged in as logged out, a long email cut short",
  async (_name, viewport) => {
    const app = await e2e.startApp();
    const email = "maximilian.longname-for-testing@example.com";
    await makeUser(app.pool, email);
    const { page } = await e2e.newPage(app, { viewport });

    await visit(page, "/");
    const loggedOut = await headerLayout(page);
    expect(loggedOut).toMatchObject({ rows: 1, items: 3 });

    await logInWithBrowser(page, email);
    await visit(page, "/");
    const loggedIn = await headerLayout(page);
    expect(loggedIn).toMatchObject({ rows: 1, items: 4 });
    expect(loggedIn.height).toBe(loggedOut.height);
    await expectNoSidewaysScroll(page, "home, logged in");
    // All of it is there, for screen readers and as the tooltip, however little is shown.
    const who = page.locator("header .who");
    expect(await who.textContent()).toBe(email);
    expect(await who.getAttribute("title")).toBe(email);
  },
);

const SESSIONS = "section[aria-labelledby=sessions-title]";

test.each([
  ["at 900 px", "", { width: 900, height: 700 }],
  ["on a phone", "-phone", VIEWPORTS["phone (390 px)"]],
] as const)("screenshots of every page %s, under screenshots/", async (_name, suffix, viewport) => {
  const app = await tourApp();
  const saved: string[] = [];
  await tourEveryPage(app, { viewport }, async (page, name) => {
    saved.push(await saveScreenshot(page, `${name}${suffix}`));
    if (["home", "login", "account"].includes(name) && !suffix) await docShot(page, name);
    if (name === "sessions-page") {
      const path = join(SCREENSHOTS_DIR, `sessions${suffix}.png`);
      await page.locator(SESSIONS).screenshot({ path });
      saved.push(path);
      await docShot(page, `sessions${suffix}`, SESSIONS);
    }
  });
  expect(saved).toHaveLength(12);
  for (const path of saved) expect(statSync(path).size, path).toBeGreaterThan(5_000);
});
