import { expect, test } from "vitest";
import type { Feature } from "../../app/core/feature.js";
import { privateRouter } from "../../app/core/guards.js";
import { features } from "../../app/feature-list.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient } from "../helpers/auth.js";

/** The settings navigation's entries on a page: [href, label, current]. */
function navOf(body: string) {
  const nav = /<nav class="settings-nav" aria-label="Settings">([\s\S]*?)<\/nav>/.exec(body)?.[1];
  if (nav === undefined) return undefined;
  return [...nav.matchAll(/<a href="([^"]+)"( aria-current="page")?>([^<]+)<\/a>/g)].map(
    ([, href, current, label]) => [href, label, Boolean(current)],
  );
}

const CORE = [
  ["/account", "Account"],
  ["/account/security", "Security"],
  ["/account/sessions", "Sessions and devices"],
  ["/account/session", "Developer"],
];

test("every settings page has the one navigation, its own entry the current one", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "ann@example.com");
  for (const [path] of CORE) {
    const page = await browser.get(path as string);
    expect(page.status, path).toBe(200);
    // No provider is configured here: no "Connected accounts".
    expect(navOf(page.body), path).toEqual(
      CORE.map(([href, label]) => [href, label, href === path]),
    );
    expect(page.body.match(/aria-current="page"/g), path).toHaveLength(1);
  }
  // Every page of sessions is the sessions entry's.
  const paged = navOf((await browser.get("/account/sessions?page=1")).body);
  expect(paged?.find(([, , current]) => current)?.[0]).toBe("/account/sessions");
  // Pages outside the settings area, and visitors, have none.
  expect(navOf((await browser.get("/")).body)).toBeUndefined();
  expect(navOf((await app.client().get("/login")).body)).toBeUndefined();
});

test("account, security and sessions each say what they hold; deletion is the danger zone", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "bob@example.com");
  const account = (await browser.get("/account")).body;
  expect(account).toContain("<h1>Account</h1>");
  expect(account).toContain('<h2 id="email-title">Email address</h2>');
  expect(account).not.toContain('data-testid="sessions"');

  const security = (await browser.get("/account/security")).body;
  expect(security).toContain("<h1>Security</h1>");
  expect(security).toMatch(
    /<section class="panel danger-zone" aria-labelledby="delete-title">\s*<p class="zone-label">Danger zone<\/p>\s*<h2 id="delete-title">Delete account<\/h2>/,
  );
  // The danger zone comes last.
  expect(security.indexOf("danger-zone")).toBeGreaterThan(security.indexOf("password-title"));

  const sessions = (await browser.get("/account/sessions")).body;
  expect(sessions).toContain("<h1>Sessions and devices</h1>");
  expect(sessions).toContain('data-testid="sessions"');
  // Alone: nothing to log out of.
  expect(sessions).not.toContain("Log out everywhere else");
  expect(sessions).toContain("You are not logged in anywhere else.");
});

test("a feature adds a settings entry (settingsPages): a page of its own in the settings frame", async () => {
  const hello: Feature = {
    name: "hello",
    setup(kit) {
      const routes = privateRouter(kit.guards);
      const views = kit.views.at(new URL("../../views/", import.meta.url));
      routes.get("/account/hello", (_req, res) => {
        views.render(res, "account/sessions", {
          title: "Hello",
          sessions: [],
          page: 1,
          more: false,
        });
      });
      return { routes, settingsPages: [{ path: "/account/hello", label: "Hello" }] };
    },
  };
  const app = await startTestApp({ features: [...features, hello] });
  const { client: browser } = await loggedInClient(app, "cat@example.com");
  const nav = navOf((await browser.get("/account/hello")).body);
  expect(nav?.at(-1)).toEqual(["/account/hello", "Hello", true]);
  expect(navOf((await browser.get("/account")).body)?.at(-1)).toEqual([
    "/account/hello",
    "Hello",
    false,
  ]);
});
