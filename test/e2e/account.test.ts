import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  beforeContents,
  browserSessionId,
  expectNoSidewaysScroll,
  flashSaying,
  logInWithBrowser,
  pathOf,
  textOf,
  useBrowser,
  VIEWPORTS,
} from "../helpers/e2e.js";

const e2e = useBrowser();

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
  // Two cookie jars, two session IDs.
  const laptopId = await browserSessionId(laptop.watched);
  expect(laptopId).toBeDefined();
  expect(await browserSessionId(phone.watched)).toBeDefined();
  expect(laptopId).not.toBe(await browserSessionId(phone.watched));

  // The laptop sees both under "Sessions and devices": itself (no button) and the phone (Revoke).
  await laptop.page.goto("/account/sessions");
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
  await phone.page.locator("header.site").getByRole("link", { name: "Account" }).click();
  await phone.page.waitForURL("**/login?*");
  expect(pathOf(phone.page)).toBe("/login?next=%2Faccount&expired=1");
  await flashSaying(phone.page, "Your session has ended. Log in again to continue.");

  // The laptop is untouched, on the same session.
  await laptop.page.reload();
  expect(pathOf(laptop.page)).toBe("/account/sessions");
  expect(await browserSessionId(laptop.watched)).toBe(laptopId);
  expect(await textOf(laptop.page.locator("header.site"))).toContain("two@example.com");
});

test("on a phone each session is a card: browser, then IP, logged in and last seen, each labelled, and Revoke in reach", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "card@example.com");
  const viewport = VIEWPORTS["phone (390 px)"];
  const other = await e2e.newPage(app, { viewport, userAgent: FIREFOX_WINDOWS });
  await logInWithBrowser(other.page, "card@example.com");
  const { page } = await e2e.newPage(app, { viewport, userAgent: CHROME_LINUX });
  await logInWithBrowser(page, "card@example.com");
  await page.goto("/account/sessions");

  const rows = page.getByTestId("sessions").locator("tbody tr");
  await rows.nth(1).waitFor();
  await expectNoSidewaysScroll(page, "sessions and devices");
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
  await page.goto("/account/sessions");

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
});
