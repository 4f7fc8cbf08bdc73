import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import { flashSaying, logInWithBrowser, pathOf, textOf, useBrowser } from "../helpers/e2e.js";
import {
  type GitHubServer,
  OCTOCAT,
  signInAtGitHub,
  startGitHubServer,
} from "../helpers/github-server.js";
import { HttpClient } from "../helpers/http-client.js";

const e2e = useBrowser();

/** The app with GITHUB_* pointing at the GitHub stand-in on 127.0.0.1, octocat there. */
async function setup(env: Record<string, string> = {}) {
  const github = await startGitHubServer();
  github.users.set("octocat", OCTOCAT);
  const app = await e2e.startApp({ env: { ...github.env, ...env } });
  github.start(`${app.url}/auth/github/callback`);
  return { app, github };
}

/** At GitHub's page: sign in as `login` and press Authorize (or Cancel). */
async function atGitHub(page: Page, github: GitHubServer, login: string, button = "Authorize") {
  await page.waitForURL((url) => url.origin === github.url);
  await page.getByLabel("Username").fill(login);
  await page.getByRole("button", { name: button }).click();
}

test("Continue with GitHub on the sign-up page: an account with the verified address, then back in from the login page", async () => {
  const { app, github } = await setup();
  const { page } = await e2e.newPage(app);
  await page.goto("/register");
  await page.getByRole("button", { name: "Continue with GitHub" }).click();
  await atGitHub(page, github, "octocat");
  await page.waitForURL(`${app.url}/account`);
  expect(await textOf(page.locator("p.lead"))).toContain("Logged in as octocat@example.com");
  expect(await textOf(page.locator("ul.identities"))).toContain(
    "Linked as octocat (octocat@example.com).",
  );

  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login\?loggedout=1$/);
  await page.getByRole("button", { name: "Continue with GitHub" }).click();
  await atGitHub(page, github, "octocat");
  await page.waitForURL(`${app.url}/account`);
  expect(pathOf(page)).toBe("/account");
});

test("Link GitHub from Connected accounts, Unlink it; Cancel at GitHub comes back saying so", async () => {
  const { app, github } = await setup();
  await makeUser(app.pool, "ann@example.com");
  const { page } = await e2e.newPage(app);
  await logInWithBrowser(page, "ann@example.com");
  await page.getByRole("button", { name: "Link GitHub" }).click();
  await atGitHub(page, github, "octocat", "Cancel");
  await page.waitForURL(`${app.url}/account`);
  await flashSaying(page, "You cancelled signing in with GitHub, so nobody was signed in.");

  await page.getByRole("button", { name: "Link GitHub" }).click();
  await atGitHub(page, github, "octocat");
  await page.waitForURL(`${app.url}/account`);
  await flashSaying(page, "GitHub is linked: you can sign in with it now.");
  await page.getByRole("button", { name: "Unlink GitHub: octocat (octocat@example.com)" }).click();
  await flashSaying(page, "GitHub was unlinked from your account.");
  expect(await page.locator("ul.identities").count()).toBe(0);
});

test("refusals in the browser: an unverified address, a wrong state, a replayed code", async () => {
  const { app, github } = await setup();
  github.users.set("nova", {
    id: 99,
    emails: [{ email: "nova@example.com", primary: true, verified: false }],
  });
  const press = async () => {
    const { watched, page } = await e2e.newPage(app);
    for (const status of [400, 403]) watched.expectStatus(status, "/auth/github/callback");
    await page.goto("/login");
    await page.getByRole("button", { name: "Continue with GitHub" }).click();
    return { watched, page };
  };
  const refused = async (page: Page, says: string) => {
    await page.getByRole("heading", { name: "Signing in with GitHub did not work" }).waitFor();
    expect(await textOf(page.locator("main"))).toContain(says);
  };

  const unverified = await press();
  await atGitHub(unverified.page, github, "nova");
  await refused(unverified.page, "GitHub has not confirmed that nova@example.com is yours");

  // Someone else's callback opened while this browser's own sign-in is under way.
  const pending = await press();
  await pending.page.waitForURL((url) => url.origin === github.url);
  const someoneElse = new HttpClient(app.url);
  await someoneElse.get("/login");
  const theirStart = await someoneElse.post("/auth/github/start", {});
  const theirs = await signInAtGitHub(theirStart.location as string, "octocat");
  await pending.page.goto(theirs.href);
  await refused(pending.page, "answer did not match this sign-in");

  // A used code, with the same flow cookie, in another browser.
  const first = await press();
  const flow = await first.watched.cookie("oidc_flow");
  const callback = first.page.waitForRequest((r) => r.url().includes("/auth/github/callback?"));
  await atGitHub(first.page, github, "octocat");
  const used = (await callback).url();
  await first.page.waitForURL(`${app.url}/account`);
  const { watched: other, page: replayer } = await e2e.newPage(app);
  other.expectStatus(400, "/auth/github/callback");
  await other.context.addCookies([{ name: "oidc_flow", value: flow?.value ?? "", url: app.url }]);
  await replayer.goto(used);
  await refused(replayer, "GitHub refused to complete the sign-in (bad_verification_code)");
});

test("GitHub down, or failing: a 503 or 502 page naming it", async () => {
  const { app, github } = await setup();
  for (const [failure, status, heading, says] of [
    ["reset", 503, "Temporarily unavailable", "GitHub cannot be reached right now"],
    [500, 502, "GitHub said no", "GitHub answered with an error (HTTP 500)"],
  ] as const) {
    const { watched, page } = await e2e.newPage(app);
    watched.expectStatus(status, "/auth/github/callback");
    await page.goto("/login");
    await page.getByRole("button", { name: "Continue with GitHub" }).click();
    github.failWith(failure);
    await atGitHub(page, github, "octocat");
    await page.getByRole("heading", { name: heading }).waitFor();
    expect(await textOf(page.locator("main"))).toContain(says);
    github.failWith(undefined);
  }
});

test("AUTH_TRUSTED_PROVIDERS=github: GitHub's verified address joins its account", async () => {
  const { app, github } = await setup({ AUTH_TRUSTED_PROVIDERS: "github" });
  await makeUser(app.pool, "octocat@example.com");
  await app.pool.query("update users set email_verified_at = now()");
  const { page } = await e2e.newPage(app);
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with GitHub" }).click();
  await atGitHub(page, github, "octocat");
  await page.waitForURL(`${app.url}/account`);
  await flashSaying(page, "GitHub is now linked to your account");
  expect(await textOf(page.locator("ul.identities"))).toContain("GitHub");
});

test("without it, the same sign-in is a 409 page pointing to Link GitHub", async () => {
  const { app, github } = await setup();
  await makeUser(app.pool, "octocat@example.com");
  await app.pool.query("update users set email_verified_at = now()");
  const { watched, page } = await e2e.newPage(app);
  watched.expectStatus(409, "/auth/github/callback");
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with GitHub" }).click();
  await atGitHub(page, github, "octocat");
  await page.getByRole("heading", { name: "Signing in with GitHub did not work" }).waitFor();
  expect(await textOf(page.locator("main"))).toContain('then choose "Link GitHub"');
});
