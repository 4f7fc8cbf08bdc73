import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import { logInWithBrowser, pathOf, serveOtherSite, textOf, useBrowser } from "../helpers/e2e.js";
import { PROBE_REGENERATE } from "../helpers/probe-routes.js";

const e2e = useBrowser();

/** Another site's page with a button that posts a form to `action`, without a CSRF token. */
const attackerPage = (action: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Win a prize</title><link rel="icon" href="data:,"></head>
<body><form method="post" action="${action}"><input type="hidden" name="prize" value="1">
<button type="submit">Claim your prize</button></form></body></html>`;

// 127.0.0.1 on another port is another origin but the same site, so the SameSite=Lax cookie
// goes along and only the CSRF token stands in the way; "localhost" is another site too, so the
// browser sends no cookie at all. Either way the answer must be the 403 page.
const origins = [
  {
    name: "another origin on the same site",
    host: "127.0.0.1",
    fetchSite: "same-site",
    sendsCookie: true,
  },
  { name: "another site", host: "localhost", fetchSite: "cross-site", sendsCookie: false },
] as const;

// Logging out, and a private POST that would give the session a new ID (the probe's).
test.each(["/logout", PROBE_REGENERATE])(
  "a form posted to %s from another origin is refused with the 403 page; you stay logged in",
  async (target) => {
    const app = await e2e.startApp({ probeRoutes: true });
    await makeUser(app.pool, "victim@example.com");
    const other = await serveOtherSite(attackerPage(`${app.url}${target}`));
    try {
      const { watched, page } = await e2e.newPage(app);
      watched.expectStatus(403, target);
      await logInWithBrowser(page, "victim@example.com");
      const cookieBefore = await watched.cookie("sid");

      for (const origin of origins) {
        const attacker = other.url.replace("127.0.0.1", origin.host);
        await page.goto(attacker);
        expect(new URL(page.url()).origin, origin.name).not.toBe(new URL(app.url).origin);
        const answered = page.waitForResponse((res) => new URL(res.url()).pathname === target);
        await page.getByRole("button", { name: "Claim your prize" }).click();
        const response = await answered;
        expect(response.request().method(), origin.name).toBe("POST");
        // What the browser sent: the case this origin stands for.
        const sent = await response.request().allHeaders();
        expect(sent["sec-fetch-site"], origin.name).toBe(origin.fetchSite);
        expect(sent.cookie?.includes("sid=") ?? false, origin.name).toBe(origin.sendsCookie);
        expect(response.status(), origin.name).toBe(403);
        await page.waitForURL(`${app.url}${target}`);
        expect(await textOf(page.getByRole("heading", { level: 1 })), origin.name).toBe(
          "This form has expired",
        );

        // Still logged in, on the same session.
        await page.goto(`${app.url}/account`);
        expect(pathOf(page), origin.name).toBe("/account");
        expect(await textOf(page.locator("p.lead"))).toContain("victim@example.com");
        expect((await watched.cookie("sid"))?.value, origin.name).toBe(cookieBefore?.value);
      }
    } finally {
      await other.close();
    }
  },
);
