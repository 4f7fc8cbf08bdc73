import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  browserSessionId,
  flashSaying,
  logInWithBrowser,
  pathOf,
  submitLoginForm,
  textOf,
  useBrowser,
} from "../helpers/e2e.js";

// The session inspector (app/features/session-inspector): its page, /account/session, linked from
// the account page, and the session API's buttons on it.
const e2e = useBrowser();

const INSPECTOR = "/account/session";

/** The inspector's `req.session.counter` (changed only by its "Add one" button). */
async function sessionCounter(page: Page): Promise<number> {
  const text = (await textOf(page.getByTestId("counter"))).trim();
  if (!/^\d+$/.test(text)) throw new Error(`no counter in "${text}"`);
  return Number(text);
}

/** The session ID the inspector shows (its first 8 characters and an ellipsis). */
async function shownSessionId(page: Page): Promise<string> {
  return (await textOf(page.getByTestId("session-id"))).trim();
}

/** The inspector's short form of a session ID. */
const shortId = (id: string | undefined) => `${(id ?? "no session cookie").slice(0, 8)}…`;

/** Follows the settings navigation's "Developer" entry to the inspector. */
async function openInspector(page: Page): Promise<void> {
  await page
    .getByRole("navigation", { name: "Settings" })
    .getByRole("link", { name: "Developer" })
    .click();
  await page.waitForURL(`**${INSPECTOR}`);
  await page.getByRole("heading", { level: 1, name: "Session inspector" }).waitFor();
}

test("from the account page to the inspector: the session the browser holds, its cookie as set; a reload changes nothing, its button does", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "ada@example.com");
  const { watched, page } = await e2e.newPage(app);
  await logInWithBrowser(page, "ada@example.com");
  await openInspector(page);

  // The very session the browser holds, and the cookie as it was set (no "remember me").
  const id = shortId(await browserSessionId(watched));
  expect(await shownSessionId(page)).toBe(id);
  const facts = await textOf(page.locator("dl.facts"));
  expect(facts).toContain("sid; Path=/");
  expect(facts).toContain("HttpOnly: true · Secure: false · SameSite: lax");
  expect(facts).toContain('null: a browser-session cookie (no "remember me")');
  expect(await textOf(page.getByTestId("max-age"))).toBe("null");
  // The page's own script ran under the policy: it turned the store's deadline into a countdown.
  const deadline = page.locator("dd [data-countdown]").first();
  await expect.poll(() => textOf(deadline)).toMatch(/^\d+m \d+s$/);
  expect(await sessionCounter(page)).toBe(0);

  // Reloading changes nothing in the session; its button does.
  for (const expected of [1, 2]) {
    await page.reload();
    expect(pathOf(page)).toBe(INSPECTOR);
    expect(await textOf(page.locator("header.site"))).toContain("ada@example.com");
    expect(await shownSessionId(page)).toBe(id);
    expect(await sessionCounter(page)).toBe(expected - 1);
    await page.getByTestId("count").click();
    await page.waitForURL(`**${INSPECTOR}`);
    await expect.poll(() => sessionCounter(page)).toBe(expected);
  }

  // And back to the account page, still logged in on the same session.
  await page
    .getByRole("navigation", { name: "Settings" })
    .getByRole("link", { name: "Account" })
    .click();
  await page.waitForURL("**/account");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as ada@example.com");
  expect(shortId(await browserSessionId(watched))).toBe(id);
});

test("the session API buttons: regenerate, reload, save, touch and destroy each do what they say", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "api@example.com");
  const { watched, page } = await e2e.newPage(app);
  await logInWithBrowser(page, "api@example.com", { remember: true });
  await openInspector(page);

  // A "remember me" cookie: maxAge counts down from 30 days (the page's script, under the CSP).
  await expect.poll(() => textOf(page.getByTestId("max-age"))).toMatch(/^(29d 23h|30d 0h)$/);

  // regenerate(): a new ID (the page and the browser's cookie agree), still logged in.
  const before = await shownSessionId(page);
  expect(before).toBe(shortId(await browserSessionId(watched)));
  await page.getByTestId("count").click();
  await expect.poll(() => sessionCounter(page)).toBe(1);
  await page.getByTestId("api-regenerate").click();
  const regenerated = await flashSaying(page, /^Regenerated: /);
  const after = await shownSessionId(page);
  expect(after).not.toBe(before);
  expect(after).toBe(shortId(await browserSessionId(watched)));
  expect(regenerated).toBe(
    `Regenerated: session ID ${before} → ${after}; the old one is gone from the store.`,
  );
  expect(pathOf(page)).toBe(INSPECTOR);
  expect(await textOf(page.locator("header.site"))).toContain("api@example.com");
  // The session's data came along to the new ID.
  expect(await sessionCounter(page)).toBe(1);

  // reload(): the unsaved change is dropped; the page's counter is the store's, not the scratch one.
  await page.getByTestId("api-reload").click();
  const reloaded = await flashSaying(page, /^Reloaded: /);
  expect(reloaded).toBe(
    "Reloaded: an unsaved change (the counter set to 1001) was dropped; the store says 1.",
  );
  expect(pathOf(page)).toBe(INSPECTOR);
  expect(await sessionCounter(page)).toBe(1);

  // save(): written now; the store's expiry is 30 days ("remember me") ahead, to the second.
  await page.getByTestId("api-save").click();
  const saved = await flashSaying(page, /^Saved to the store now; /);
  const expiry = /it expires there at (\S+)\.$/.exec(saved)?.[1] ?? "";
  const secondsAhead = (Date.parse(expiry) - Date.now()) / 1000;
  expect(secondsAhead, saved).toBeGreaterThan(30 * 86_400 - 60);
  expect(secondsAhead, saved).toBeLessThanOrEqual(30 * 86_400 + 1);
  expect(pathOf(page)).toBe(INSPECTOR);

  // touch(): the cookie's countdown restarts from originalMaxAge.
  await page.getByTestId("api-touch").click();
  const touched = await flashSaying(page, /^Touched: /);
  expect(touched).toMatch(
    /^Touched: maxAge was \d+ s left, now 2592000 s \(originalMaxAge 2592000 s\)\.$/,
  );
  expect(pathOf(page)).toBe(INSPECTOR);
  expect(await shownSessionId(page)).toBe(after);

  // destroy(): the session is gone, and with it the login.
  await page.getByTestId("api-destroy").click();
  await page.waitForURL("**/login?destroyed=1");
  await flashSaying(page, "Your session was destroyed. Log in again to continue.");
  expect(await page.content()).not.toContain("api@example.com");
  for (const path of [INSPECTOR, "/account"]) {
    await page.goto(path);
    await page.waitForURL("**/login?*");
    expect(new URL(page.url()).searchParams.get("next")).toBe(path);
  }
});

test("logged out, the inspector sends you to log in, and back to it after", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "out@example.com");
  const { page } = await e2e.newPage(app);

  await page.goto(INSPECTOR);
  await page.waitForURL("**/login?*");
  expect(pathOf(page)).toBe("/login?next=%2Faccount%2Fsession");
  expect(await page.getByTestId("session-id").count()).toBe(0);

  await submitLoginForm(page, "out@example.com");
  await page.waitForURL(`**${INSPECTOR}`);
  expect(await sessionCounter(page)).toBe(0);
});

test("the inspector's exact times (the store's idle deadline first) are in the reader's time zone", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "tz@example.com");
  const { page } = await e2e.newPage(app, { timezoneId: "Asia/Tokyo" });
  await logInWithBrowser(page, "tz@example.com");
  await openInspector(page);

  // Written in UTC by the server, rewritten by the page's script in the browser's zone.
  const exact = page.locator('dl.facts time[data-local="text"]');
  await expect.poll(() => textOf(exact.first()), { timeout: 10_000 }).toMatch(/GMT\+9$/);
  for (const time of await exact.all()) {
    const iso = (await time.getAttribute("datetime")) ?? "";
    const inTokyo = new Intl.DateTimeFormat("en", {
      dateStyle: "medium",
      timeStyle: "long",
      timeZone: "Asia/Tokyo",
    }).format(new Date(iso));
    expect(await textOf(time)).toBe(inTokyo);
  }
});
