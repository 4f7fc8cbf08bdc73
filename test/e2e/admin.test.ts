import { expect, test } from "vitest";
import { runCommand } from "../../app/features/admin/commands.js";
import { makeUser } from "../helpers/auth.js";
import { flashSaying, logInWithBrowser, pathOf, textOf, useBrowser } from "../helpers/e2e.js";

// The admin area (app/features/admin) in Chromium: an administrator finds a user, locks them
// (their open browser is logged out), unlocks them, signs in as them (the banner), and stops.
const e2e = useBrowser();

test("lock from /admin logs the user's browser out; Sign in as this user shows the banner; Stop returns", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "ann@example.com");
  await makeUser(app.pool, "admin@example.com");
  expect((await runCommand(app.pool, ["promote", "admin@example.com"])).ok).toBe(true);

  const { page: ann } = await e2e.newPage(app);
  await logInWithBrowser(ann, "ann@example.com");
  const { page: admin } = await e2e.newPage(app);
  await logInWithBrowser(admin, "admin@example.com");

  // Find Ann: the search, then her page.
  await admin.goto("/admin");
  await admin.getByLabel("Address starts with").fill("ANN");
  await admin.getByRole("button", { name: "Search" }).click();
  await admin.waitForURL("**/admin?q=ANN");
  const rows = admin.getByTestId("admin-users").locator("tbody tr");
  expect(await rows.count()).toBe(1);
  await admin.getByRole("link", { name: "ann@example.com" }).click();
  await admin.getByRole("heading", { level: 1, name: "ann@example.com" }).waitFor();
  expect(await textOf(admin.getByTestId("admin-sessions"))).toContain("Revoke");

  // Lock: her open browser is logged out on its next page.
  await admin.getByRole("button", { name: "Lock", exact: true }).click();
  await flashSaying(admin, "ann@example.com is locked: every session ended.");
  await ann.reload();
  await ann.waitForURL("**/login?**");
  expect(pathOf(ann)).toMatch(/^\/login\?next=%2Faccount/);

  await admin.getByRole("button", { name: "Unlock" }).click();
  await flashSaying(admin, "ann@example.com is unlocked.");

  // Sign in as Ann: her account, with the banner on every page.
  await admin.getByRole("button", { name: "Sign in as this user" }).click();
  await admin.waitForURL("**/account");
  const banner = admin.getByTestId("impersonation-banner");
  expect((await textOf(banner)).replace(/\s+/g, " ")).toContain(
    "You are signed in as ann@example.com by admin@example.com.",
  );
  expect(await textOf(admin.locator("header.site"))).toContain("ann@example.com");
  await admin.goto("/account/sessions");
  await banner.waitFor();

  // Stop: back on the administrator's own session, at Ann's page.
  await banner.getByRole("button", { name: "Stop" }).click();
  await admin.waitForURL("**/admin/users/*");
  await flashSaying(admin, "You are no longer signed in as ann@example.com.");
  expect(await admin.getByTestId("impersonation-banner").count()).toBe(0);
  expect(await textOf(admin.locator("header.site"))).toContain("admin@example.com");
});
