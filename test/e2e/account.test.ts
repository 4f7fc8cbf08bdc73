import { expect, test } from "vitest";
import { makeUser, sessionIdFromCookie } from "../helpers/auth.js";
import {
  accountViews,
  flashSaying,
  logInWithBrowser,
  pathOf,
  shortId,
  shownSessionId,
  textOf,
  useBrowser,
  type WatchedContext,
} from "../helpers/e2e.js";

const e2e = useBrowser();

/** The session ID in the browser's cookie, in the inspector's short form. */
async function cookieSessionId(watched: WatchedContext): Promise<string> {
  const cookie = await watched.cookie("sid");
  if (!cookie) throw new Error("no session cookie");
  return shortId(sessionIdFromCookie(cookie.value));
}

test("two browsers are two sessions; revoking one from the other logs it out on its next click", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "two@example.com");
  const laptop = await e2e.newPage(app, { userAgent: "Laptop browser" });
  const phone = await e2e.newPage(app, { userAgent: "Phone browser" });
  await logInWithBrowser(laptop.page, "two@example.com");
  await logInWithBrowser(phone.page, "two@example.com");
  expect(await shownSessionId(laptop.page)).not.toBe(await shownSessionId(phone.page));

  // The laptop sees both: itself (no button) and the phone (Revoke).
  await laptop.page.reload();
  const rows = laptop.page.getByTestId("sessions").locator("tbody tr");
  expect(await rows.count()).toBe(2);
  const phoneRow = rows.filter({ hasText: "Phone browser" });
  expect(await textOf(rows.filter({ hasText: "Laptop browser" }))).toContain("this session");
  expect(await rows.filter({ hasText: "Laptop browser" }).getByRole("button").count()).toBe(0);

  await phoneRow.getByRole("button", { name: "Revoke" }).click();
  await flashSaying(laptop.page, "That session was ended: its next request will be logged out.");
  expect(await rows.count()).toBe(1);
  expect(await textOf(rows)).toContain("Laptop browser");

  // The phone still shows its old page; its next click finds the session gone.
  await phone.page.getByRole("link", { name: "Account" }).click();
  await phone.page.waitForURL("**/login?*");
  expect(pathOf(phone.page)).toBe("/login?next=%2Faccount&expired=1");
  await flashSaying(phone.page, "Your session has ended. Log in again to continue.");

  // The laptop is untouched.
  await laptop.page.reload();
  expect(pathOf(laptop.page)).toBe("/account");
  expect(await textOf(laptop.page.locator("p.lead"))).toContain("two@example.com");
});

test("the session API buttons: regenerate, reload, save, touch and destroy each do what they say", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "api@example.com");
  const { watched, page } = await e2e.newPage(app);
  await logInWithBrowser(page, "api@example.com", { remember: true });

  // regenerate(): a new ID (the page and the browser's cookie agree), still logged in.
  const before = await shownSessionId(page);
  expect(before).toBe(await cookieSessionId(watched));
  const viewsBefore = await accountViews(page);
  await page.getByTestId("api-regenerate").click();
  const regenerated = await flashSaying(page, /^Regenerated: /);
  const after = await shownSessionId(page);
  expect(after).not.toBe(before);
  expect(after).toBe(await cookieSessionId(watched));
  expect(regenerated).toBe(
    `Regenerated: session ID ${before} → ${after}; the old one is gone from the store.`,
  );
  expect(pathOf(page)).toBe("/account");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as api@example.com");
  expect(await accountViews(page)).toBe(viewsBefore + 1);

  // reload(): the unsaved change is dropped; the page's count is the store's, not the scratch one.
  const viewsNow = await accountViews(page);
  await page.getByTestId("api-reload").click();
  const reloaded = await flashSaying(page, /^Reloaded: /);
  expect(reloaded).toBe(
    `Reloaded: an unsaved change (views on /account set to ${viewsNow + 1000}) was dropped; the store says ${viewsNow}.`,
  );
  expect(await accountViews(page)).toBe(viewsNow + 1);

  // save(): written now; the store's expiry is 30 days ("remember me") ahead, to the second.
  await page.getByTestId("api-save").click();
  const saved = await flashSaying(page, /^Saved to the store now; /);
  const expiry = /it expires there at (\S+)\.$/.exec(saved)?.[1] ?? "";
  const secondsAhead = (Date.parse(expiry) - Date.now()) / 1000;
  expect(secondsAhead, saved).toBeGreaterThan(30 * 86_400 - 60);
  expect(secondsAhead, saved).toBeLessThanOrEqual(30 * 86_400 + 1);

  // touch(): the cookie's countdown restarts from originalMaxAge.
  await page.getByTestId("api-touch").click();
  const touched = await flashSaying(page, /^Touched: /);
  expect(touched).toMatch(
    /^Touched: maxAge was \d+ s left, now 2592000 s \(originalMaxAge 2592000 s\)\.$/,
  );
  expect(pathOf(page)).toBe("/account");
  expect(await shownSessionId(page)).toBe(after);

  // destroy(): the session is gone, and with it the login.
  await page.getByTestId("api-destroy").click();
  await page.waitForURL("**/login?destroyed=1");
  await flashSaying(page, "Your session was destroyed. Log in again to continue.");
  expect(await page.content()).not.toContain("api@example.com");
  await page.goto("/account");
  await page.waitForURL("**/login?*");
  expect(new URL(page.url()).searchParams.get("next")).toBe("/account");
});
