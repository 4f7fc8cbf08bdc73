import { describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { logIn, makeUser, sessionIdOf, submitLogin } from "../../helpers/auth.js";
import { type HttpClient, jsonOf } from "../../helpers/http-client.js";
import {
  OIDC_NAME,
  pressContinue,
  signInAtProvider,
  signInWithProvider,
  startAppWithProvider,
} from "../../helpers/oidc-provider.js";
import { registerPasskey, signInWithPasskey } from "../../helpers/passkeys.js";
import { SoftAuthenticator } from "../../helpers/soft-authenticator.js";
import { enableTwoFactor, type TestClock, testClock, totpCode } from "../../helpers/totp.js";

/**
 * "Continue with TestID": the app against a real OpenID Connect provider (oidc-provider) on
 * 127.0.0.1, over HTTP, the way a browser goes back and forth between them.
 */

const NAME = OIDC_NAME;

const setup = (options: { clock?: TestClock } = {}) =>
  startAppWithProvider(options.clock ? { clock: options.clock.clock } : {});

const signIn = signInWithProvider;

const userRow = async (app: TestApp, email: string) =>
  (
    await app.pool.query<{ id: string; password_hash: string | null }>(
      "select id::text, password_hash from users where email = $1",
      [email],
    )
  ).rows[0];

const identityCount = async (app: TestApp) =>
  (await app.pool.query<{ n: number }>("select count(*)::int as n from user_identities")).rows[0]
    ?.n;

async function expectNotLoggedIn(browser: HttpClient) {
  expect((await browser.get("/account")).status).toBe(303);
}

describe("signing in with the provider", () => {
  test("a first sign-in makes an account without a password; the next one logs in to it", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-zoe", { email: "zoe@example.com", email_verified: true });

    const browser = app.client();
    const start = await pressContinue(browser);
    expect(new URL(start).origin).toBe(provider.issuer);
    const params = new URL(start).searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("state")).toBeTruthy();
    expect(params.get("nonce")).toBeTruthy();
    expect(params.get("redirect_uri")).toBe(`${app.url}/auth/oidc/callback`);
    // Starting wrote no session row.
    expect(sessionIdOf(browser)).toBeUndefined();

    const callback = await signInAtProvider(start, "sub-zoe");
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status, reply.body.slice(0, 300)).toBe(303);
    expect(reply.location).toBe("/account");
    expect(sessionIdOf(browser)).toBeDefined();
    const account = await browser.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain("Logged in as <strong>zoe@example.com</strong>");
    expect(account.body).toContain("Linked as zoe@example.com.");

    const row = await userRow(app, "zoe@example.com");
    expect(row?.password_hash).toBeNull();
    // No password, so no password logs in to it.
    expect((await submitLogin(app.client(), "zoe@example.com", { password: "" })).status).toBe(400);
    expect(
      (await submitLogin(app.client(), "zoe@example.com", { password: "any guess at all" })).status,
    ).toBe(401);

    const again = app.client();
    const second = await signIn(again, "sub-zoe");
    expect(second.reply.location).toBe("/account");
    expect((await again.get("/account")).body).toContain("zoe@example.com");
    expect(await identityCount(app)).toBe(1);
  });

  test("without OIDC_* there is no button", async () => {
    const plain = await startTestApp();
    expect((await plain.client().get("/login")).body).not.toContain("Continue with");
  });

  test("with OIDC_* the login and sign-up pages show the button", async () => {
    const { app } = await setup();
    for (const page of ["/login", "/register"]) {
      expect((await app.client().get(page)).body).toContain(
        `<button type="submit" class="secondary">Continue with ${NAME}</button>`,
      );
    }
  });
});

describe("a callback that fails answers 4xx, says why, and logs nobody in", () => {
  test("a wrong state", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-a", { email: "a@example.com", email_verified: true });
    const browser = app.client();
    const { reply } = await signIn(browser, "sub-a", (url) =>
      url.searchParams.set("state", "a-state-this-browser-never-made"),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toContain(`Signing in with ${NAME} did not work`);
    await expectNotLoggedIn(browser);
    expect(await userRow(app, "a@example.com")).toBeUndefined();
  });

  test("a wrong nonce in the ID token", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-b", { email: "b@example.com", email_verified: true });
    const browser = app.client();
    const { reply } = await signIn(browser, "sub-b", (url) =>
      url.searchParams.set("nonce", "a-nonce-this-browser-never-made"),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("did not match this sign-in");
    await expectNotLoggedIn(browser);
  });

  test("a replayed code", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-c", { email: "c@example.com", email_verified: true });
    const browser = app.client();
    const start = await pressContinue(browser);
    const flowCookie = browser.cookies.get("oidc_flow") as string;
    const callback = await signInAtProvider(start, "sub-c");
    expect((await browser.get(callback.pathname + callback.search)).status).toBe(303);

    // The same code again, with the same flow cookie, from a browser that copied both.
    const replayer = app.client();
    replayer.cookies.set("oidc_flow", flowCookie);
    const replay = await replayer.get(callback.pathname + callback.search);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain("refused to complete the sign-in");
    await expectNotLoggedIn(replayer);
  });

  test("a callback in a browser that did not start the sign-in (a link someone sent)", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-d", { email: "d@example.com", email_verified: true });
    const callback = await signInAtProvider(await pressContinue(app.client()), "sub-d");
    const victim = app.client();
    const reply = await victim.get(callback.pathname + callback.search);
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("was not started in this browser");
    await expectNotLoggedIn(victim);
  });

  test("a wrong issuer in the answer", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-e", { email: "e@example.com", email_verified: true });
    const browser = app.client();
    const start = await pressContinue(browser);
    const callback = await signInAtProvider(start, "sub-e");
    callback.searchParams.set("iss", "http://127.0.0.1:1/not-the-issuer");
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(400);
    await expectNotLoggedIn(browser);
  });

  test("Cancel at the provider (access_denied): back to the login page, saying so", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-g", { email: "g@example.com", email_verified: true });
    const browser = app.client();
    const callback = await signInAtProvider(await pressContinue(browser), "sub-g", undefined, {
      cancel: true,
    });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/login");
    expect((await browser.get("/login")).body).toContain(
      `You cancelled signing in with ${NAME}, so nobody was signed in.`,
    );
    await expectNotLoggedIn(browser);
  });

  test("an error from the provider", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-f", { email: "f@example.com", email_verified: true });
    const browser = app.client();
    // prompt=none: the provider must answer without asking, and says login_required.
    const { reply } = await signIn(browser, "sub-f", (url) =>
      url.searchParams.set("prompt", "none"),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("login_required");
    await expectNotLoggedIn(browser);
  });
});

describe("accounts are never linked silently", () => {
  test.each([
    [false, 403, "TestID has not confirmed that ann@example.com is yours", "link TestID on"],
    [true, 409, "An account with ann@example.com already exists.", "Link TestID"],
  ])(
    "an identity whose email matches an account (email_verified: %s) is refused until the owner links it",
    async (verified, status, says, link) => {
      const { app, provider } = await setup();
      await makeUser(app.pool, "ann@example.com");
      provider.accounts.set("sub-attacker", {
        email: "ann@example.com",
        email_verified: verified,
      });
      const attacker = app.client();
      const { reply } = await signIn(attacker, "sub-attacker");
      expect(reply.status).toBe(status);
      expect(reply.body).toContain(says);
      expect(reply.body).toContain(link);
      await expectNotLoggedIn(attacker);
      expect(await identityCount(app)).toBe(0);
    },
  );

  test("link from the account page, sign in with it, unlink it", async () => {
    const { app, provider } = await setup();
    await makeUser(app.pool, "ann@example.com");
    provider.accounts.set("sub-ann", { email: "ann@work.example", email_verified: true });
    const ann = app.client();
    await logIn(ann, "ann@example.com");
    const page = await ann.get("/account");
    expect(page.body).toContain(`<button type="submit">Link ${NAME}</button>`);
    // With a provider configured, the settings navigation names its panel.
    expect(page.body).toContain('<a href="/account#connected-accounts">Connected accounts</a>');
    expect(page.body).toContain('<section class="panel" id="connected-accounts"');
    const start = await ann.post("/account/providers/oidc/link", {});
    expect(start.status).toBe(303);
    const callback = await signInAtProvider(start.location as string, "sub-ann");
    const linked = await ann.get(callback.pathname + callback.search);
    expect(linked.location).toBe("/account");
    const after = await ann.get("/account");
    expect(after.body).toContain(`${NAME} is linked: you can sign in with it now.`);
    expect(after.body).toContain("Linked as ann@work.example.");

    // Another browser signs in to Ann's account with it.
    const elsewhere = app.client();
    await signIn(elsewhere, "sub-ann");
    expect((await elsewhere.get("/account")).body).toContain(
      "Logged in as <strong>ann@example.com</strong>",
    );

    // Unlink: the identity is gone; signing in with it now makes a new account for its email.
    const identity = /name="identity" value="(\d+)"/.exec(after.body)?.[1] as string;
    await ann.get("/account");
    const unlinked = await ann.post("/account/providers/unlink", { identity });
    expect(unlinked.location).toBe("/account");
    expect((await ann.get("/account")).body).toContain(`${NAME} was unlinked from your account.`);
    expect(await identityCount(app)).toBe(0);

    // Ann's security activity tells the whole story, in order.
    const annId = (await userRow(app, "ann@example.com"))?.id as string;
    const { rows: events } = await app.pool.query<{ kind: string; method: string | null }>(
      "select kind, method from security_events where user_id = $1 order by created_at, id",
      [annId],
    );
    expect(events.map((e) => (e.method ? `${e.kind}:${e.method}` : e.kind))).toEqual([
      "sign_in:password",
      "identity_linked",
      "sign_in:oidc",
      "identity_unlinked",
    ]);
  });

  test("unlinking the only way to sign in is refused", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-only", { email: "only@example.com", email_verified: true });
    const browser = app.client();
    await signIn(browser, "sub-only");
    const page = await browser.get("/account");
    const identity = /name="identity" value="(\d+)"/.exec(page.body)?.[1] as string;
    await browser.post("/account/providers/unlink", { identity });
    expect((await browser.get("/account")).body).toContain(
      `${NAME} is the only way you sign in: add another way first (a password: &quot;Forgot your password?&quot; on the login page), then unlink it.`,
    );
    expect(await identityCount(app)).toBe(1);

    // With a passkey added, the provider is no longer the only way in: it can go, and the
    // passkey signs in to the account.
    const authenticator = new SoftAuthenticator(app.url);
    expect((await registerPasskey(browser, authenticator)).status).toBe(201);
    await browser.get("/account");
    await browser.post("/account/providers/unlink", { identity });
    expect(await identityCount(app)).toBe(0);
    const later = app.client();
    const reply = await signInWithPasskey(later, authenticator);
    expect(reply.status, reply.body).toBe(200);
    expect(jsonOf<{ user: { email: string } }>(reply).user.email).toBe("only@example.com");
  });

  test("a link started by one account cannot be finished by another session", async () => {
    const { app, provider } = await setup();
    await makeUser(app.pool, "ann@example.com");
    await makeUser(app.pool, "mallory@example.com");
    provider.accounts.set("sub-mallory", { email: "m@elsewhere.example", email_verified: true });
    const browser = app.client();
    await logIn(browser, "ann@example.com");
    await browser.get("/account");
    const start = await browser.post("/account/providers/oidc/link", {});
    // Ann's browser now logs out and Mallory logs in on it before the callback comes.
    await browser.get("/account");
    await browser.post("/logout");
    await logIn(browser, "mallory@example.com");
    const callback = await signInAtProvider(start.location as string, "sub-mallory");
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(403);
    expect(await identityCount(app)).toBe(0);
  });
});

test("an account with two-factor on still needs its code after the provider", async () => {
  const clock = testClock();
  const { app, provider } = await setup({ clock });
  provider.accounts.set("sub-tia", { email: "tia@example.com", email_verified: true });
  const tia = app.client();
  await signIn(tia, "sub-tia");
  // A fresh sign-in is a recent authentication: two-factor setup (sudo mode) needs no password,
  // which this account does not have.
  const { secret } = await enableTwoFactor(tia, clock);
  await tia.get("/account");
  await tia.post("/logout");

  const again = app.client();
  const { reply } = await signIn(again, "sub-tia");
  expect(reply.status).toBe(303);
  expect(reply.location).toBe("/login/two-factor");
  // The provider alone opens no private page.
  await expectNotLoggedIn(again);
  await again.get("/login/two-factor");
  const done = await again.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
  expect(done.status).toBe(303);
  expect((await again.get("/account")).body).toContain(
    "Logged in as <strong>tia@example.com</strong>",
  );
});

test("unlinking needs sudo mode: ten minutes after signing in it asks to confirm first", async () => {
  const clock = testClock();
  const { app, provider } = await setup({ clock });
  await makeUser(app.pool, "ann@example.com");
  provider.accounts.set("sub-ann", { email: "ann@work.example", email_verified: true });
  const ann = app.client();
  await logIn(ann, "ann@example.com");
  await ann.get("/account");
  const start = await ann.post("/account/providers/oidc/link", {});
  const callback = await signInAtProvider(start.location as string, "sub-ann");
  await ann.get(callback.pathname + callback.search);
  const page = await ann.get("/account");
  const identity = /name="identity" value="(\d+)"/.exec(page.body)?.[1] as string;

  clock.advance(11 * 60_000);
  const refused = await ann.post("/account/providers/unlink", { identity });
  expect(refused.status).toBe(303);
  expect(refused.location).toBe("/account/confirm?next=%2Faccount");
  expect(await identityCount(app)).toBe(1);
});

test("linking a provider needs sudo mode: a stolen session cannot add its thief's identity", async () => {
  const clock = testClock();
  const { app, provider } = await setup({ clock });
  await makeUser(app.pool, "ann@example.com");
  provider.accounts.set("sub-thief", { email: "thief@elsewhere.example", email_verified: true });
  const stolen = app.client();
  await logIn(stolen, "ann@example.com");
  clock.advance(11 * 60_000);

  // The thief presses "Link TestID" on Ann's account page: asked to confirm, not sent off.
  await stolen.get("/account");
  const start = await stolen.post("/account/providers/oidc/link", {});
  expect(start.status).toBe(303);
  expect(start.location).toBe("/account/confirm?next=%2Faccount");
  expect(await identityCount(app)).toBe(0);
  // No flow was started, so the thief's identity can sign in to nothing.
  expect(stolen.cookies.has("oidc_flow")).toBe(false);
  const { reply } = await signIn(app.client(), "sub-thief");
  expect(reply.location).toBe("/account");
  const thiefAccount = await userRow(app, "thief@elsewhere.example");
  const ann = await userRow(app, "ann@example.com");
  expect(thiefAccount?.id).not.toBe(ann?.id);
});

describe("a provider that is down: 503, saying so, and nobody signed in", () => {
  test("pressing Continue while the provider cannot be reached shows a 503 page naming it", async () => {
    const { app, provider } = await setup();
    await provider.close();
    const browser = app.client();
    await browser.get("/login");

    const page = await browser.post("/auth/oidc/start", {});
    expect(page.status).toBe(503);
    expect(page.headers.get("retry-after")).toBe("5");
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.body).toContain(`${NAME} cannot be reached right now`);
    expect(page.body).not.toContain("ECONNREFUSED");

    await browser.get("/login");
    const json = await browser.postJson("/auth/oidc/start", {});
    expect(json.status).toBe(503);
    expect(jsonOf(json)).toEqual({
      error: "provider_unavailable",
      message: `${NAME} cannot be reached right now, so nobody was signed in. Try again in a moment.`,
    });
  });

  test("a provider that fails (HTTP 500) when the code is exchanged: 502, and not logged in", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-fail", { email: "fail@example.com", email_verified: true });
    const browser = app.client();
    const callback = await signInAtProvider(await pressContinue(browser), "sub-fail");
    provider.failWith(500);
    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain(`${NAME} said no`);
    expect(reply.body).toContain(`${NAME} answered with an error (HTTP 500)`);
    await expectNotLoggedIn(browser);
  });

  test("a provider that goes down before the code is exchanged: 503, and not logged in", async () => {
    const { app, provider } = await setup();
    provider.accounts.set("sub-outage", { email: "outage@example.com", email_verified: true });
    const browser = app.client();
    const callback = await signInAtProvider(await pressContinue(browser), "sub-outage");
    await provider.close();

    const reply = await browser.get(callback.pathname + callback.search);
    expect(reply.status).toBe(503);
    expect(reply.body).toContain(`${NAME} cannot be reached right now`);
    expect((await browser.get("/account")).status).toBe(303);
  });
});
