import { expect, test } from "vitest";
import { makeUser, sessionIdFromCookie } from "../helpers/auth.js";
import {
  beforeContents,
  expectNoSidewaysScroll,
  flashSaying,
  logInWithBrowser,
  pathOf,
  sessionCounter,
  shortId,
  shownSessionId,
  textOf,
  useBrowser,
  VIEWPORTS,
  type WatchedContext,
} from "../helpers/e2e.js";

const e2e = useBrowser();

/** The session ID in the browser's cookie, in the inspector's short form. */
async function cookieSessionId(watched: WatchedContext): Promise<string> {
  const cookie = await watched.cookie("sid");
  if (!cookie) throw new Error("no session cookie");
  return shortId(sessionIdFromCookie(cookie.value));
}

const CHROME_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36";
const FIREFOX_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

test("two browsers are two sessions; revoking one from the other logs it out on its next click", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "two@example.com");
  // Named as a user-agent parser names them (never as sent): "Chrome on Linux", "Firefox on Windows".
  const laptop = await e2e.newPage(app, { userAgent: CHROME_LINUX });
  const phone = await e2e.newPage(app, { userAgent: FIREFOX_WINDOWS });
  await logInWithBrowser(laptop.page, "two@example.com");
  await logInWithBrowser(phone.page, "two@example.com");
  expect(await shownSessionId(laptop.page)).not.toBe(await shownSessionId(phone.page));

  // The laptop sees both: itself (no button) and the phone (Revoke).
  await laptop.page.reload();
  const rows = laptop.page.getByTestId("sessions").locator("tbody tr");
  expect(await rows.count()).toBe(2);
  const phoneRow = rows.filter({ hasText: "Firefox on Windows" });
  expect(await textOf(rows.filter({ hasText: "Chrome on Linux" }))).toContain("this session");
  expect(await rows.filter({ hasText: "Chrome on Linux" }).getByRole("button").count()).toBe(0);

  await phoneRow.getByRole("button", { name: "Revoke" }).click();
  await flashSaying(laptop.page, "That session was ended: its next request will be logged out.");
  expect(await rows.count()).toBe(1);
  expect(await textOf(rows)).toContain("Chrome on Linux");

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
  await page.getByTestId("count").click();
  await expect.poll(() => sessionCounter(page)).toBe(1);
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
  // The session's data came along to the new ID.
  expect(await sessionCounter(page)).toBe(1);

  // reload(): the unsaved change is dropped; the page's counter is the store's, not the scratch one.
  await page.getByTestId("api-reload").click();
  const reloaded = await flashSaying(page, /^Reloaded: /);
  expect(reloaded).toBe(
    "Reloaded: an unsaved change (the counter set to 1001) was dropped; the store says 1.",
  );
  expect(await sessionCounter(page)).toBe(1);

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

test("on a phone each session is a card: browser, then IP, logged in and last seen, each labelled, and Revoke in reach", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "card@example.com");
  const viewport = VIEWPORTS["phone (390 px)"];
  const other = await e2e.newPage(app, { viewport, userAgent: FIREFOX_WINDOWS });
  await logInWithBrowser(other.page, "card@example.com");
  const { page } = await e2e.newPage(app, { viewport, userAgent: CHROME_LINUX });
  await logInWithBrowser(page, "card@example.com");

  const rows = page.getByTestId("sessions").locator("tbody tr");
  await rows.nth(1).waitFor();
  await expectNoSidewaysScroll(page, "account");
  for (const row of await rows.all()) {
    // The cells stack down the card, each labelled as its column was; all inside the window.
    const cells = await row.locator("td:visible").all();
    const boxes = await Promise.all(cells.map((cell) => cell.boundingBox()));
    const tops = boxes.map((box) => box?.y ?? Number.NaN);
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
    expect(new Set(tops).size).toBe(tops.length);
    for (const box of boxes)
      expect((box?.x ?? 0) + (box?.width ?? Infinity)).toBeLessThanOrEqual(390);
    const labels = await beforeContents(row.locator("td[data-label]"));
    expect(labels).toEqual(['"IP"', '"Logged in"', '"Last seen"']);
  }
  // Newest expiry first: two logins in the same second may come in either order.
  expect(await textOf(rows.filter({ hasText: "this session" }))).toContain(
    "Chrome on Linux this session",
  );
  const firefox = rows.filter({ hasText: "Firefox on Windows" });
  const revoke = firefox.getByRole("button", { name: "Revoke" });
  const box = await revoke.boundingBox();
  expect((box?.x ?? 0) + (box?.width ?? Infinity)).toBeLessThanOrEqual(390);
  await revoke.click();
  await flashSaying(page, "That session was ended: its next request will be logged out.");
  expect(await rows.count()).toBe(1);
});

test("times read '… ago', and their exact time (the title) is in the reader's time zone", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "tz@example.com");
  const { page } = await e2e.newPage(app, { timezoneId: "Asia/Tokyo", userAgent: CHROME_LINUX });
  await logInWithBrowser(page, "tz@example.com");

  const row = page.getByTestId("sessions").locator("tbody tr").first();
  expect(await textOf(row.locator("td").first())).toBe("Chrome on Linux this session");
  for (const column of ["Logged in", "Last seen"]) {
    const time = row.locator(`td[data-label="${column}"] time`);
    expect(await textOf(time), column).toMatch(/^(now|\d+ seconds? ago)$/);
    const iso = (await time.getAttribute("datetime")) ?? "";
    expect(Math.abs(Date.parse(iso) - Date.now()), column).toBeLessThan(5 * 60_000);
    const inTokyo = new Intl.DateTimeFormat("en", {
      dateStyle: "medium",
      timeStyle: "long",
      timeZone: "Asia/Tokyo",
    }).format(new Date(iso));
    // Written in UTC by the server, rewritten by the page's script in the browser's zone.
    await expect.poll(() => time.getAttribute("title"), { timeout: 10_000 }).toBe(inTokyo);
    expect(inTokyo).toMatch(/GMT\+9$/);
  }
  // The inspector's exact times (the store's idle deadline first) are the reader's too.
  const deadline = page.locator('dl.facts time[data-local="text"]').first();
  await expect.poll(() => textOf(deadline), { timeout: 10_000 }).toMatch(/GMT\+9$/);
});
