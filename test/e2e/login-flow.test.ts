import type pg from "pg";
import { expect, test } from "vitest";
import { makeUser, PASSWORD, sessionRow } from "../helpers/auth.js";
import {
  browserSessionId,
  flashSaying,
  focused,
  focusReaches,
  logInWithBrowser,
  pathOf,
  submitLoginForm,
  textOf,
  useBrowser,
} from "../helpers/e2e.js";

// The back/forward cache stays on, as in a real browser: the back button after logging out must
// not bring the account page back from memory either.
const e2e = useBrowser({ backForwardCache: true });

/** Sessions the store would still hand out now (connect-pg-simple's own test of expiry). */
async function liveSessions(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "select count(*)::int as n from session where expire >= to_timestamp($1)",
    [Math.ceil(Date.now() / 1000)],
  );
  return rows[0]?.n ?? 0;
}

test("register: the account page shows the session; a reload keeps you logged in and writes nothing to the store", async () => {
  const app = await e2e.startApp();
  const { watched, page } = await e2e.newPage(app);

  await page.goto("/");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL("**/register");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/account");

  await flashSaying(page, "Welcome! Your account is ready.");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as ada@example.com");
  // The cookie as it was set: a browser-session cookie (no "remember me"), for this site only.
  const cookie = await watched.cookie("sid");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, expires: -1 });
  // "Sessions and devices" (the settings navigation) lists the one the browser holds: this one.
  await page
    .getByRole("navigation", { name: "Settings" })
    .getByRole("link", { name: "Sessions and devices" })
    .click();
  await page.waitForURL("**/account/sessions");
  const rows = page.getByTestId("sessions").locator("tbody tr");
  expect(await rows.count()).toBe(1);
  expect(await textOf(rows)).toContain("this session");
  const id = (await browserSessionId(watched)) ?? "no session cookie";
  const stored = (await sessionRow(app.pool, id))?.sess;
  expect(stored?.passport?.user, "the store holds the login").toBeDefined();

  // Reloading keeps you logged in on the same session, and the store's copy is unchanged.
  for (let i = 0; i < 2; i++) {
    await page.reload();
    expect(pathOf(page)).toBe("/account/sessions");
    expect(await textOf(page.locator("header.site"))).toContain("ada@example.com");
    expect(await textOf(rows)).toContain("this session");
    expect(await browserSessionId(watched)).toBe(id);
    expect((await sessionRow(app.pool, id))?.sess).toEqual(stored);
  }
  // The welcome was a one-time message.
  expect(await page.getByRole("status").count()).toBe(0);
});

test("log out: the back button shows nothing private, and /account sends you to log in", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "bo@example.com");
  const { watched, page } = await e2e.newPage(app);
  await logInWithBrowser(page, "bo@example.com");
  await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
  const loggedInCookie = (await watched.cookie("sid"))?.value;

  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL("**/login?loggedout=1");
  await flashSaying(page, "You have been logged out.");
  expect((await watched.cookie("sid"))?.value).not.toBe(loggedInCookie);

  // Back to the account page's history entry. It is no-store, so neither the back/forward cache
  // nor the HTTP cache may bring it back: the browser asks again and is sent to log in. ("commit":
  // a page restored from the back/forward cache never fires the load event goBack waits for.)
  await page.goBack({ waitUntil: "commit" });
  expect(pathOf(page), "the account page came back from memory").not.toBe("/account");
  await page.waitForURL("**/login?next=*");
  expect(new URL(page.url()).searchParams.get("next")).toBe("/account");
  expect(await page.getByTestId("sessions").count()).toBe(0);
  expect(await page.content()).not.toContain("bo@example.com");

  await page.goto("/account");
  await page.waitForURL("**/login?next=*");
  expect(new URL(page.url()).searchParams.get("next")).toBe("/account");
  expect(await page.content()).not.toContain("bo@example.com");
  expect(await page.getByRole("link", { name: "Log in" }).count()).toBe(1);
});

test("idle expiry: after the idle timeout the next click lands on login with a message, then returns to /account", async () => {
  const app = await e2e.startApp({ config: { sessionIdleTimeoutMs: 3_000 } });
  await makeUser(app.pool, "cy@example.com");
  const { page } = await e2e.newPage(app);

  await page.goto("/account");
  await page.waitForURL("**/login?next=%2Faccount");
  await submitLoginForm(page, "cy@example.com");
  await page.waitForURL("**/account");
  await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();

  // Wait, without clicking, until the store holds no live session: the idle timeout has passed.
  await expect.poll(() => liveSessions(app.pool), { timeout: 30_000, interval: 250 }).toBe(0);
  await page.locator("header.site").getByRole("link", { name: "Account" }).click();
  await page.waitForURL("**/login?*");
  expect(pathOf(page)).toBe("/login?next=%2Faccount&expired=1");
  await flashSaying(page, "Your session has ended. Log in again to continue.");
  expect(await page.content()).not.toContain("cy@example.com");

  await submitLoginForm(page, "cy@example.com");
  await page.waitForURL("**/account");
  expect(pathOf(page)).toBe("/account");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as cy@example.com");
});

test("keyboard only: Tab to the login link and the fields, type, Enter to submit", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "dee@example.com");
  const { watched, page } = await e2e.newPage(app);

  await page.goto("/");
  // Tab through the page until the header's "Log in" link has focus (a few stops at most).
  for (let i = 0; i < 10 && !(await focused(page)).endsWith("|Log in"); i++) {
    await page.keyboard.press("Tab");
  }
  await focusReaches(page, "a#|Log in");
  await page.keyboard.press("Enter");
  await page.waitForURL("**/login");

  // The email field gets focus on arrival (autofocus, which the browser applies after load).
  await focusReaches(page, "input#email|");
  await page.keyboard.type("dee@example.com");
  await page.keyboard.press("Tab");
  await focusReaches(page, "input#password|");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Tab");
  await focusReaches(page, "input#remember|");
  await page.keyboard.press("Space");
  await expect.poll(() => page.getByLabel("Remember me on this device").isChecked()).toBe(true);
  await page.keyboard.press("Shift+Tab");
  await focusReaches(page, "input#password|");
  await page.keyboard.press("Enter");

  await page.waitForURL("**/account");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as dee@example.com");
  // Space ticked "remember me": the cookie outlives the browser (it has an expiry).
  expect((await watched.cookie("sid"))?.expires).toBeGreaterThan(Date.now() / 1000);
});
