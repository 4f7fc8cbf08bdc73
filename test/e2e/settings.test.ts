import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  expectNoSidewaysScroll,
  logInWithBrowser,
  saveScreenshot,
  textOf,
  useBrowser,
  VIEWPORTS,
} from "../helpers/e2e.js";

const e2e = useBrowser();

// 60 characters: the longest address the settings pages are checked with.
const EMAIL = "maximilian.alexander.longname-for-testing@example-company.co";

const PAGES = [
  ["/account", "Account"],
  ["/account/security", "Security"],
  ["/account/sessions", "Sessions and devices"],
  ["/account/session", "Developer"],
] as const;

test.each(Object.entries(VIEWPORTS))(
  "the settings pages on a %s with a 60-character address: the navigation, one column, nothing sideways",
  async (name, viewport) => {
    expect(EMAIL).toHaveLength(60);
    const app = await e2e.startApp();
    await makeUser(app.pool, EMAIL);
    const { page } = await e2e.newPage(app, { viewport });
    await logInWithBrowser(page, EMAIL);

    for (const [path, label] of PAGES) {
      // Each page is reached by its entry in the navigation, which then says it is the current one.
      const nav = page.getByRole("navigation", { name: "Settings" });
      await nav.getByRole("link", { name: label, exact: true }).click();
      await page.waitForURL(`**${path}`);
      const current = nav.locator('[aria-current="page"]');
      expect(await current.count(), path).toBe(1);
      expect(await textOf(current), path).toBe(label);
      await expectNoSidewaysScroll(page, `${path} (${name})`);

      // The header shows some of the address (never none of it) and has all of it.
      const who = page.locator("header .who");
      expect((await who.boundingBox())?.width ?? 0, path).toBeGreaterThan(40);
      expect(await who.getAttribute("title")).toBe(EMAIL);

      // One column: the heading and every panel start at the same left edge, none wider than it.
      const column = await page.locator(".settings-content").boundingBox();
      const heading = await page.getByRole("heading", { level: 1 }).boundingBox();
      expect(heading?.x, path).toBeCloseTo(column?.x ?? -1, 0);
      for (const panel of await page.locator(".settings-content .panel").all()) {
        const box = await panel.boundingBox();
        expect(box?.x, path).toBeCloseTo(column?.x ?? -1, 0);
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(
          (column?.x ?? 0) + (column?.width ?? 0) + 1,
        );
      }
      await saveScreenshot(page, `settings${path.replaceAll("/", "-")}-${viewport.width}`);
    }

    // Pages outside the settings area with the address in the header: nothing sideways either.
    for (const path of ["/", "/account/email", "/account/two-factor/setup", "/account/confirm"]) {
      await page.goto(path);
      await expectNoSidewaysScroll(page, `${path} (${name})`);
    }

    // The address is on the account page whole, wrapped inside the column.
    await page.goto("/account");
    expect(await textOf(page.locator("#email-title + p strong"))).toBe(EMAIL);
    // On a desktop the navigation is a column beside the content; on a phone, above it.
    const nav = await page.getByRole("navigation", { name: "Settings" }).boundingBox();
    const column = await page.locator(".settings-content").boundingBox();
    if (viewport.width >= 1280) expect(nav?.x ?? 0).toBeLessThan(column?.x ?? 0);
    else expect((nav?.y ?? 0) + (nav?.height ?? 0)).toBeLessThanOrEqual(column?.y ?? 0);

    // The danger zone: deleting the account is the last panel on the security page.
    await page.goto("/account/security");
    const last = page.locator(".settings-content .panel").last();
    expect(await last.getAttribute("class")).toContain("danger-zone");
    expect(await textOf(last.getByRole("heading", { level: 2 }))).toBe("Delete account");
  },
);
