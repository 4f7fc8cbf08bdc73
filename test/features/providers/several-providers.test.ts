import { expect, test } from "vitest";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { accountOf, sessionIdOf } from "../../helpers/auth.js";
import { GITHUB, signInAtGitHub, startGitHubServer } from "../../helpers/github-server.js";
import {
  OIDC_NAME,
  pressContinue,
  providerEnv,
  signInAtProvider,
  signInWithProvider,
  startTestProvider,
} from "../../helpers/oidc-provider.js";

/**
 * Several providers at once: today's unprefixed OIDC_* (`/auth/oidc/...`) beside OIDC_WORK_*
 * (`/auth/work/...`), two oidc-provider instances, and GitHub. Each has its own button, routes and
 * redirect URI; one account can hold identities from all of them.
 */

const WORK = { key: "work", name: "Work SSO" };

async function setup() {
  const home = await startTestProvider();
  const work = await startTestProvider();
  const github = await startGitHubServer();
  const app = await startTestApp({
    env: {
      ...providerEnv(home),
      ...providerEnv(work, WORK.name, "OIDC_WORK_"),
      ...github.env,
    },
  });
  home.start(`${app.url}/auth/oidc/callback`);
  work.start(`${app.url}/auth/work/callback`);
  github.start(`${app.url}/auth/github/callback`);
  return { app, home, work, github };
}

const identities = async (app: TestApp) =>
  (await app.pool.query<{ provider: string }>("select provider from user_identities order by id"))
    .rows;

test("each configured provider has its button on /login and /register, in order", async () => {
  const { app } = await setup();
  for (const page of ["/login", "/register"]) {
    const body = (await app.client().get(page)).body;
    const buttons = [
      ...body.matchAll(/action="(\/auth\/[^"]+\/start)"[\s\S]*?Continue with ([^<]+)</g),
    ];
    expect(buttons.map(([, action, name]) => `${action} ${name}`)).toEqual([
      "/auth/github/start GitHub",
      `/auth/oidc/start ${OIDC_NAME}`,
      "/auth/work/start Work SSO",
    ]);
  }
});

test("two OpenID Connect providers at once: one account, an identity from each, and GitHub's", async () => {
  const { app, home, work, github } = await setup();
  home.accounts.set("sub-kim", { email: "kim@example.com", email_verified: true });
  work.accounts.set("emp-42", { email: "kim@work.example", email_verified: true });
  github.users.set("kim", {
    id: 42,
    emails: [{ email: "kim@example.com", primary: true, verified: true }],
  });

  // Kim signs up with the unprefixed provider, on today's routes.
  const kim = app.client();
  const { reply } = await signInWithProvider(kim, "sub-kim");
  expect(reply.location).toBe("/account");

  // Then links the work provider and GitHub from Connected accounts.
  const page = await kim.get("/account");
  for (const provider of [GITHUB, { key: "oidc", name: OIDC_NAME }, WORK]) {
    expect(page.body).toContain(`<button type="submit">Link ${provider.name}</button>`);
  }
  const workStart = await kim.post("/account/providers/work/link", {});
  expect(new URL(workStart.location as string).origin).toBe(new URL(work.issuer).origin);
  expect(new URL(workStart.location as string).searchParams.get("redirect_uri")).toBe(
    `${app.url}/auth/work/callback`,
  );
  const workBack = await signInAtProvider(workStart.location as string, "emp-42");
  expect(workBack.pathname).toBe("/auth/work/callback");
  await kim.get(workBack.pathname + workBack.search);
  await kim.get("/account");
  const githubStart = await kim.post("/account/providers/github/link", {});
  const githubBack = await signInAtGitHub(githubStart.location as string, "kim");
  await kim.get(githubBack.pathname + githubBack.search);

  const linked = await kim.get("/account");
  expect(linked.body).toContain("GitHub is linked: you can sign in with it now.");
  for (const text of [
    `<strong>${OIDC_NAME}</strong>\n      Linked as kim@example.com.`,
    "<strong>Work SSO</strong>\n      Linked as kim@work.example.",
    "<strong>GitHub</strong>\n      Linked as kim (kim@example.com).",
  ]) {
    expect(linked.body).toContain(text);
  }
  expect((await identities(app)).map((i) => i.provider)).toEqual(["oidc", "work", "github"]);

  // Each signs in to the same account.
  const viaWork = app.client();
  await signInWithProvider(viaWork, "emp-42", undefined, WORK);
  expect(await accountOf(viaWork)).toBe("kim@example.com");

  // Unlinking one leaves the others.
  const ids = [...linked.body.matchAll(/name="identity" value="(\d+)"/g)].map((m) => m[1]);
  await kim.get("/account");
  await kim.post("/account/providers/unlink", { identity: ids[1] as string });
  expect((await kim.get("/account")).body).toContain("Work SSO was unlinked from your account.");
  expect((await identities(app)).map((i) => i.provider)).toEqual(["oidc", "github"]);
});

test("a flow started with one provider cannot be finished at another's callback", async () => {
  const { app, home, work } = await setup();
  work.accounts.set("emp-1", { email: "one@work.example", email_verified: true });
  home.accounts.set("sub-1", { email: "one@example.com", email_verified: true });
  const browser = app.client();
  // Started with "Work SSO"; the home provider's answer arrives at /auth/oidc/callback.
  await pressContinue(browser, "/login", WORK);
  const other = app.client();
  const homeBack = await signInAtProvider(await pressContinue(other), "sub-1");
  const reply = await browser.get(homeBack.pathname + homeBack.search);
  expect(reply.status).toBe(400);
  expect(reply.body).toContain("This sign-in was not started in this browser");
  expect(sessionIdOf(browser)).toBeUndefined();
});

test("an unconfigured provider has no routes: 404", async () => {
  const { app } = await setup();
  const browser = app.client();
  await browser.get("/login");
  expect((await browser.post("/auth/google/start", {})).status).toBe(404);
  expect((await browser.get("/auth/google/callback?code=x&state=y")).status).toBe(404);
});
