import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, test } from "vitest";
import { appleClientSecret } from "../../../app/features/providers/apple.js";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { APPLE_CLIENT, signInAtApple, startAppleServer } from "../../helpers/apple-server.js";
import { accountOf } from "../../helpers/auth.js";
import type { HttpClient, Reply } from "../../helpers/http-client.js";

/**
 * Sign in with Apple against a stand-in that answers with `response_mode=form_post` (a page that
 * POSTs the code to the callback from Apple's site) and checks the ES256 client secret.
 */

const JANE = { email: "jane@privaterelay.appleid.com", firstName: "Jane", lastName: "Appleseed" };

async function setup() {
  const apple = await startAppleServer();
  const app = await startTestApp({ env: apple.env });
  apple.start(`${app.url}/auth/apple/callback`);
  apple.accounts.set("001234.jane", JANE);
  return { app, apple };
}

async function pressApple(browser: HttpClient): Promise<string> {
  await browser.get("/login");
  const start = await browser.post("/auth/apple/start", {});
  expect(start.status).toBe(303);
  return start.location as string;
}

/**
 * Apple's page posts the answer to the callback: a cross-site POST, so the browser sends none of
 * the app's cookies with it. Returns that POST's reply and where it sends the browser on to.
 */
async function postAnswer(
  browser: HttpClient,
  form: { action: URL; fields: Record<string, string> },
) {
  const posted = await browser.request("POST", form.action.pathname, {
    form: form.fields,
    crossSite: true,
  });
  return posted;
}

/** The whole trip: Apple's form_post, then the GET it sends the browser to. */
async function signInWithApple(
  browser: HttpClient,
  sub: string,
  options: { cancel?: boolean } = {},
) {
  const answer = await signInAtApple(await pressApple(browser), sub, options);
  const posted = await postAnswer(browser, answer);
  expect(posted.status).toBe(303);
  expect(posted.location).toBe("/auth/apple/callback");
  return { answer, reply: await browser.get(posted.location as string) };
}

const identities = async (app: TestApp) =>
  (
    await app.pool.query<{ email: string; display_name: string | null }>(
      "select email, display_name from user_identities order by id",
    )
  ).rows;

describe("signing in with Apple", () => {
  test("the start asks for the name and address with form_post, PKCE, state and nonce", async () => {
    const { app, apple } = await setup();
    const url = new URL(await pressApple(app.client()));
    expect(`${url.origin}${url.pathname}`).toBe(`${apple.url}/auth/authorize`);
    expect(url.searchParams.get("response_mode")).toBe("form_post");
    expect(url.searchParams.get("scope")).toBe("name email");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("nonce")).toBeTruthy();
    expect(url.searchParams.get("state")).toBeTruthy();
  });

  test("Apple's cross-site POST carries the answer to the GET callback: an account, with the name Apple sent once", async () => {
    const { app } = await setup();
    const browser = app.client();
    const answer = await signInAtApple(await pressApple(browser), "001234.jane");
    expect(Object.keys(answer.fields).sort()).toEqual(["code", "state", "user"]);

    // The POST arrives without any of the app's cookies: it is kept, and the browser sent on.
    const posted = await postAnswer(browser, answer);
    expect(posted.status).toBe(303);
    expect(posted.location).toBe("/auth/apple/callback");
    expect(posted.headers.get("cache-control")).toBe("no-store");
    const carried = posted.setCookies.find((c) => c.startsWith("oidc_answer="));
    expect(carried).toMatch(/Max-Age=60; Path=\/; .*HttpOnly; SameSite=Lax/);
    // Nothing of the answer is in the URL, and no session was written for the POST.
    expect(posted.setCookies.some((c) => c.startsWith("sid="))).toBe(false);

    const reply = await browser.get("/auth/apple/callback");
    expect(reply.status, reply.body.slice(0, 300)).toBe(303);
    expect(reply.location).toBe("/account");
    expect(browser.cookies.has("oidc_answer")).toBe(false);
    const page = await browser.get("/account");
    expect(page.body).toContain(`Logged in as <strong>${JANE.email}</strong>`);
    expect(page.body).toContain(`Linked as Jane Appleseed (${JANE.email}).`);

    // The next sign-in (Apple sends no name now) keeps the name.
    const again = app.client();
    const second = await signInWithApple(again, "001234.jane");
    expect(second.answer.fields.user).toBeUndefined();
    expect(second.reply.location).toBe("/account");
    expect(await accountOf(again)).toBe(JANE.email);
    expect(await identities(app)).toEqual([{ email: JANE.email, display_name: "Jane Appleseed" }]);
  });

  test("the client secret is an ES256 JWT Apple accepts, made once and used again", async () => {
    const { app, apple } = await setup();
    await signInWithApple(app.client(), "001234.jane");
    await signInWithApple(app.client(), "001234.jane");
    expect(apple.clientSecrets).toHaveLength(2);
    expect(apple.clientSecrets[1]).toBe(apple.clientSecrets[0]);
    const secret = apple.clientSecrets[0] as string;
    expect(decodeProtectedHeader(secret)).toEqual({ alg: "ES256", kid: APPLE_CLIENT.keyId });
    const claims = decodeJwt(secret);
    expect(claims).toMatchObject({ iss: APPLE_CLIENT.team, sub: APPLE_CLIENT.id, aud: apple.url });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(15_777_000);
  });

  test("the client secret is minted again before it ends", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    let now = 1_800_000_000;
    const settings = { clientId: "com.example.web", teamId: "TEAM", keyId: "KID", privateKey };
    const secret = appleClientSecret(settings, "https://appleid.apple.com", () => now);
    const first = await secret();
    const { payload } = await jwtVerify(first, publicKey, {
      issuer: "TEAM",
      subject: "com.example.web",
      audience: "https://appleid.apple.com",
      currentDate: new Date(now * 1000),
    });
    const ends = payload.exp as number;
    now = ends - 6 * 60;
    expect(await secret()).toBe(first);
    // Five minutes before it ends, a new one, valid from now.
    now = ends - 5 * 60;
    const second = await secret();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).iat).toBe(now);
    expect(decodeJwt(second).exp).toBeGreaterThan(ends);
  });
});

describe("Apple's refusals, and answers that are not this browser's", () => {
  test("Cancel at Apple (user_cancelled_authorize): back to the login page, saying so", async () => {
    const { app } = await setup();
    const browser = app.client();
    const { reply } = await signInWithApple(browser, "001234.jane", { cancel: true });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe("/login");
    expect((await browser.get("/login")).body).toContain(
      "You cancelled signing in with Apple, so nobody was signed in.",
    );
  });

  test("a wrong state in the POST: 400, nobody signed in", async () => {
    const { app } = await setup();
    const browser = app.client();
    const answer = await signInAtApple(await pressApple(browser), "001234.jane");
    answer.fields.state = "a-state-this-browser-never-made";
    const posted = await postAnswer(browser, answer);
    const reply = await browser.get(posted.location as string);
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("Signing in with Apple did not work");
    expect(await accountOf(browser)).toBeUndefined();
  });

  test("someone else's answer posted to a victim's browser (login CSRF): 400, the victim not signed in", async () => {
    const { app } = await setup();
    const attacker = app.client();
    const answer = await signInAtApple(await pressApple(attacker), "001234.jane");
    const victim = app.client();
    const posted = await postAnswer(victim, answer);
    const reply = await victim.get(posted.location as string);
    expect(reply.status).toBe(400);
    expect(reply.body).toContain("This sign-in was not started in this browser");
    expect(await accountOf(victim)).toBeUndefined();
  });

  test("the same answer again (its cookies copied): Apple refuses the used code, 400", async () => {
    const { app } = await setup();
    const browser = app.client();
    const answer = await signInAtApple(await pressApple(browser), "001234.jane");
    const flow = browser.cookies.get("oidc_flow") as string;
    const posted = await postAnswer(browser, answer);
    const carried = browser.cookies.get("oidc_answer") as string;
    expect((await browser.get(posted.location as string)).status).toBe(303);

    const replayer = app.client();
    replayer.cookies.set("oidc_flow", flow);
    replayer.cookies.set("oidc_answer", carried);
    const replay = await replayer.get("/auth/apple/callback");
    expect(replay.status).toBe(400);
    expect(replay.body).toContain("Apple refused to complete the sign-in (invalid_grant)");
    expect(await accountOf(replayer)).toBeUndefined();
  });

  test("a POST that is no answer (no state) is refused at once: 400", async () => {
    const { app } = await setup();
    const reply: Reply = await app
      .client()
      .request("POST", "/auth/apple/callback", { form: { code: "x" }, crossSite: true });
    expect(reply.status).toBe(400);
    expect(reply.setCookies).toEqual([]);
  });

  test("Apple down when the code is exchanged: 503", async () => {
    const { app, apple } = await setup();
    const browser = app.client();
    const answer = await signInAtApple(await pressApple(browser), "001234.jane");
    await apple.close();
    const posted = await postAnswer(browser, answer);
    const reply = await browser.get(posted.location as string);
    expect(reply.status).toBe(503);
    expect(reply.body).toContain("Apple cannot be reached right now");
  });
});
