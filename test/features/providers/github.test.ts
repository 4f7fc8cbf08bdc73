import { describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { accountOf, logIn, makeUser, sessionIdOf, submitLogin } from "../../helpers/auth.js";
import {
  GITHUB_CLIENT,
  OCTOCAT,
  signInAtGitHub,
  signInWithGitHub,
  startAppWithGitHub,
} from "../../helpers/github-server.js";
import { jsonOf } from "../../helpers/http-client.js";

/**
 * "Continue with GitHub": OAuth 2.0 (not OpenID Connect) through openid-client, against a
 * stand-in that speaks GitHub's documented endpoints and JSON (test/helpers/github-server.ts).
 */

const identities = async (app: TestApp) =>
  (
    await app.pool.query<{
      provider: string;
      subject: string;
      email: string;
      display_name: string;
    }>("select provider, subject, email, display_name from user_identities order by id")
  ).rows;

describe("signing in with GitHub", () => {
  test("a first sign-in makes an account with the verified address, not the unverified primary one", async () => {
    const { app, github } = await startAppWithGitHub();
    const browser = app.client();
    await browser.get("/login");
    const start = await browser.post("/auth/github/start", {});
    expect(start.status).toBe(303);
    const url = new URL(start.location as string);
    expect(`${url.origin}${url.pathname}`).toBe(`${github.url}/login/oauth/authorize`);
    expect(url.searchParams.get("client_id")).toBe(GITHUB_CLIENT.id);
    expect(url.searchParams.get("redirect_uri")).toBe(`${app.url}/auth/github/callback`);
    expect(url.searchParams.get("scope")).toBe("read:user user:email");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("state")).toBeTruthy();
    // OAuth 2.0: there is no ID token, so no nonce.
    expect(url.searchParams.has("nonce")).toBe(false);
    expect(sessionIdOf(browser)).toBeUndefined();

    const callback = await signInAtGitHub(start.location as string, "octocat");
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status, reply.body.slice(0, 300)).toBe(303);
    expect(reply.location).toBe("/account");
    const page = await browser.get("/account");
    expect(page.body).toContain("Logged in as <strong>octocat@example.com</strong>");
    expect(page.body).toContain("<strong>GitHub</strong>");
    expect(page.body).toContain("Linked as octocat (octocat@example.com).");
    expect(page.body).toContain('data-testid="email-status">verified</span>');
    expect(await identities(app)).toEqual([
      {
        provider: "github",
        subject: String(OCTOCAT.id),
        email: "octocat@example.com",
        display_name: "octocat",
      },
    ]);
    // No password: none logs in to it.
    expect(
      (await submitLogin(app.client(), "octocat@example.com", { password: "a guess at it" }))
        .status,
    ).toBe(401);

    // The API was asked with a token and a User-Agent, as GitHub requires.
    const api = github.requests.filter((r) => r.path.startsWith("/api/"));
    expect(api.map((r) => r.path)).toEqual(["/api/user", "/api/user/emails"]);
    expect(api.every((r) => r.userAgent === "Session starter")).toBe(true);

    // The next sign-in, in another browser, is the same account.
    const again = app.client();
    expect((await signInWithGitHub(again, "octocat")).reply.location).toBe("/account");
    expect(await accountOf(again)).toBe("octocat@example.com");
    expect(await identities(app)).toHaveLength(1);
  });

  test("the buttons are on /login and /register", async () => {
    const { app } = await startAppWithGitHub();
    for (const page of ["/login", "/register"]) {
      const body = (await app.client().get(page)).body;
      expect(body).toContain('<form method="post" action="/auth/github/start" class="oidc-start">');
      expect(body).toContain(
        '<button type="submit" class="secondary">Continue with GitHub</button>',
      );
    }
  });

  test("without GITHUB_* there is no button, and no route", async () => {
    const plain = await startTestApp();
    expect((await plain.client().get("/login")).body).not.toContain("Continue with");
    const visitor = plain.client();
    await visitor.get("/login");
    expect((await visitor.post("/auth/github/start", {})).status).toBe(404);
  });

  test("a public address on /user counts only if /user/emails says it is verified", async () => {
    const { app, github } = await startAppWithGitHub();
    github.users.set("mona", {
      id: 1001,
      publicEmail: "mona@public.example",
      emails: [{ email: "mona@public.example", primary: true, verified: false }],
    });
    const { reply } = await signInWithGitHub(app.client(), "mona");
    expect(reply.status).toBe(403);
    expect(reply.body).toContain(
      "GitHub has not confirmed that mona@public.example is yours, so no account was made with it.",
    );
    expect(await identities(app)).toEqual([]);
  });
});

describe("GitHub's refusals and failures: a page that says which, never a 500", () => {
  test("a wrong state: 400, nobody signed in", async () => {
    const { app } = await startAppWithGitHub();
    const browser = app.client();
    const { reply } = await signInWithGitHub(browser, "octocat", {
      tamper: (callback) => callback.searchParams.set("state", "not-this-browsers-state"),
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("Signing in with GitHub did not work");
    expect(await accountOf(browser)).toBeUndefined();
  });

  test("a replayed code: GitHub's HTTP 200 with an error field is a 400 saying so", async () => {
    const { app } = await startAppWithGitHub();
    const browser = app.client();
    await browser.get("/login");
    const start = await browser.post("/auth/github/start", {});
    const flowCookie = browser.cookies.get("oidc_flow") as string;
    const callback = await signInAtGitHub(start.location as string, "octocat");
    expect((await browser.get(callback.pathname + callback.search)).status).toBe(303);

    // The same code again, with the same flow cookie, from a browser that copied both.
    const replayer = app.client();
    replayer.cookies.set("oidc_flow", flowCookie);
    const replay = await replayer.get(callback.pathname + callback.search);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain(
      "GitHub refused to complete the sign-in (bad_verification_code). The link may have been used already: start again.",
    );
    expect(await accountOf(replayer)).toBeUndefined();
  });

  test("Cancel at GitHub: back to the login page, saying so", async () => {
    const { app } = await startAppWithGitHub();
    const browser = app.client();
    const { reply } = await signInWithGitHub(browser, "octocat", { cancel: true });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/login");
    const login = await browser.get("/login");
    expect(login.body).toContain("You cancelled signing in with GitHub, so nobody was signed in.");
    expect(await accountOf(browser)).toBeUndefined();
  });

  test("GitHub down when the code comes back: 503 naming it, with Retry-After", async () => {
    const { app, github } = await startAppWithGitHub();
    const browser = app.client();
    await browser.get("/login");
    const start = await browser.post("/auth/github/start", {});
    const callback = await signInAtGitHub(start.location as string, "octocat");
    await github.close();
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(503);
    expect(reply.headers.get("retry-after")).toBe("5");
    expect(reply.body).toContain("GitHub cannot be reached right now");
    expect(await accountOf(browser)).toBeUndefined();
  });

  test('GitHub failing (HTTP 500): 502, "GitHub said no"', async () => {
    const { app, github } = await startAppWithGitHub();
    const browser = app.client();
    await browser.get("/login");
    const start = await browser.post("/auth/github/start", {});
    const callback = await signInAtGitHub(start.location as string, "octocat");
    github.failWith(500);
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("GitHub said no");
    expect(reply.body).toContain(
      "GitHub answered with an error (HTTP 500), so nobody was signed in.",
    );
    expect(await accountOf(browser)).toBeUndefined();

    const json = app.client();
    await json.get("/login");
    github.failWith(undefined);
    const started = await json.post("/auth/github/start", {});
    const again = await signInAtGitHub(started.location as string, "octocat");
    github.failWith(502);
    const answer = await json.request("GET", again.pathname + again.search, {
      headers: { accept: "application/json" },
    });
    expect(answer.status).toBe(502);
    expect(jsonOf<{ error: string }>(answer).error).toBe("provider_failed");
  });

  test("GitHub too slow (PROVIDER_TIMEOUT_SECONDS): 504", async () => {
    const { app, github } = await startAppWithGitHub({ env: { PROVIDER_TIMEOUT_SECONDS: "1" } });
    const browser = app.client();
    await browser.get("/login");
    const start = await browser.post("/auth/github/start", {});
    const callback = await signInAtGitHub(start.location as string, "octocat");
    github.failWith("silence");
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(504);
    expect(reply.body).toContain("GitHub did not answer in time, so nobody was signed in.");
  });
});

describe("linking and unlinking GitHub", () => {
  test("link from Connected accounts (any address), sign in with it elsewhere, unlink it", async () => {
    const { app } = await startAppWithGitHub();
    await makeUser(app.pool, "ann@example.com");
    const ann = app.client();
    await logIn(ann, "ann@example.com");
    const page = await ann.get("/account");
    expect(page.body).toContain('<form method="post" action="/account/providers/github/link"');
    expect(page.body).toContain('<button type="submit">Link GitHub</button>');
    const start = await ann.post("/account/providers/github/link", {});
    expect(start.status).toBe(303);
    const callback = await signInAtGitHub(start.location as string, "octocat");
    expect((await ann.get(callback.pathname + callback.search)).location).toBe("/account");
    const linked = await ann.get("/account");
    expect(linked.body).toContain("GitHub is linked: you can sign in with it now.");
    expect(linked.body).toContain("Linked as octocat (octocat@example.com).");

    const elsewhere = app.client();
    await signInWithGitHub(elsewhere, "octocat");
    expect(await accountOf(elsewhere)).toBe("ann@example.com");

    const identity = /name="identity" value="(\d+)"/.exec(linked.body)?.[1] as string;
    await ann.get("/account");
    expect((await ann.post("/account/providers/unlink", { identity })).location).toBe("/account");
    expect((await ann.get("/account")).body).toContain("GitHub was unlinked from your account.");
    expect(await identities(app)).toEqual([]);
  });

  test("an account GitHub made cannot unlink it: it is the only way in", async () => {
    const { app } = await startAppWithGitHub();
    const browser = app.client();
    await signInWithGitHub(browser, "octocat");
    const page = await browser.get("/account");
    const identity = /name="identity" value="(\d+)"/.exec(page.body)?.[1] as string;
    await browser.post("/account/providers/unlink", { identity });
    expect((await browser.get("/account")).body).toContain(
      "GitHub is the only way you sign in: add another way first",
    );
    expect(await identities(app)).toHaveLength(1);
  });
});
