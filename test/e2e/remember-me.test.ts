import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  afterBrowserRestart,
  logInWithBrowser,
  pathOf,
  textOf,
  useBrowser,
} from "../helpers/e2e.js";

const e2e = useBrowser();
const DAY_S = 24 * 60 * 60;

test("with 'remember me' the login outlives the browser: a new profile from the saved state is still logged in", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "rem@example.com");
  const first = await e2e.newContext(app);
  const page = await first.newPage();
  await logInWithBrowser(page, "rem@example.com", { remember: true });

  // A persistent cookie, about 30 days ahead: it survives closing the browser.
  const cookie = await first.cookie("sid");
  expect(cookie?.expires, "a cookie with an expiry").toBeGreaterThan(0);
  const daysLeft = ((cookie?.expires ?? -1) - Date.now() / 1000) / DAY_S;
  expect(daysLeft).toBeGreaterThan(29.9);
  expect(daysLeft).toBeLessThanOrEqual(30);
  const saved = await first.storageState();
  await first.close();

  const restarted = afterBrowserRestart(saved);
  expect(restarted.cookies.map((c) => c.name)).toContain("sid");
  const second = await e2e.newContext(app, { storageState: restarted });
  const again = await second.newPage();
  await again.goto("/account");
  expect(pathOf(again)).toBe("/account");
  expect(await textOf(again.locator("p.lead"))).toContain("Logged in as rem@example.com");
});

test("without 'remember me' the cookie ends with the browser: the restarted profile is logged out", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "once@example.com");
  const first = await e2e.newContext(app);
  const page = await first.newPage();
  await logInWithBrowser(page, "once@example.com");
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as once@example.com");

  // A browser-session cookie: no Expires.
  expect((await first.cookie("sid"))?.expires).toBe(-1);
  const saved = await first.storageState();
  await first.close();

  // Restoring every cookie (a tab restored, not a restart) is still logged in: the server-side
  // session is alive, so what logs you out below is the cookie the browser dropped.
  const restored = await e2e.newContext(app, { storageState: saved });
  const restoredPage = await restored.newPage();
  await restoredPage.goto("/account");
  expect(pathOf(restoredPage)).toBe("/account");
  expect(await textOf(restoredPage.locator("p.lead"))).toContain("Logged in as once@example.com");

  const restarted = afterBrowserRestart(saved);
  expect(restarted.cookies.map((c) => c.name)).not.toContain("sid");
  const second = await e2e.newContext(app, { storageState: restarted });
  const again = await second.newPage();
  await again.goto("/account");
  expect(pathOf(again)).toBe("/login?next=%2Faccount");
  expect(await again.content()).not.toContain("once@example.com");
});
