import { describe, expect, test } from "vitest";
import type { TestApp } from "../../helpers/app.js";
import { accountOf, logIn, makeUser, PASSWORD, submitLogin } from "../../helpers/auth.js";
import { hasFeature } from "../../helpers/features.js";
import { signInWithGitHub, startAppWithGitHub } from "../../helpers/github-server.js";
import type { HttpClient, Reply } from "../../helpers/http-client.js";
import {
  OIDC_NAME,
  signInWithProvider,
  startAppWithProvider,
} from "../../helpers/oidc-provider.js";
import { registerPasskey } from "../../helpers/passkeys.js";
import { SoftAuthenticator } from "../../helpers/soft-authenticator.js";

/**
 * AUTH_TRUSTED_PROVIDERS: a provider listed there that vouches for an address joins the existing
 * account with that address on a first sign-in. Off by default: then the owner logs in and links
 * it. Joining is a proof of the address, so an account someone made with the owner's address
 * before the owner proved it is taken over: what was added before (the password included) goes,
 * and every session ends (the takeover issue's rule, as for a verification link).
 */

const ANN = "ann@example.com";
const ATTACKER_PASSWORD = "an attacker's own passphrase 7";

interface Case {
  key: string;
  name: string;
  start(env: Record<string, string>): Promise<{
    app: TestApp;
    /** Ann, at the provider, with the address `ANN` (vouched for unless `verified` is false). */
    signIn(browser: HttpClient, verified?: boolean): Promise<Reply>;
  }>;
}

const CASES: Case[] = [
  {
    key: "oidc",
    name: OIDC_NAME,
    async start(env) {
      const { app, provider } = await startAppWithProvider({ env });
      return {
        app,
        async signIn(browser, verified = true) {
          provider.accounts.set("sub-ann", { email: ANN, email_verified: verified });
          return (await signInWithProvider(browser, "sub-ann")).reply;
        },
      };
    },
  },
  {
    key: "github",
    name: "GitHub",
    async start(env) {
      const { app, github } = await startAppWithGitHub({ env });
      return {
        app,
        async signIn(browser, verified = true) {
          github.users.set("ann", { id: 7, emails: [{ email: ANN, primary: true, verified }] });
          return (await signInWithGitHub(browser, "ann")).reply;
        },
      };
    },
  },
];

const identityCount = async (app: TestApp) =>
  (await app.pool.query<{ n: number }>("select count(*)::int as n from user_identities")).rows[0]
    ?.n;

const verifyAddress = (app: TestApp) =>
  app.pool.query("update users set email_verified_at = now() where email = $1", [ANN]);

describe.each(CASES)("AUTH_TRUSTED_PROVIDERS and $key", ({ key, name, start }) => {
  test(`off: ${name} vouching for the address of an account does not join it (409)`, async () => {
    const { app, signIn } = await start({});
    await makeUser(app.pool, ANN);
    await verifyAddress(app);
    const browser = app.client();
    const reply = await signIn(browser);
    expect(reply.status).toBe(409);
    expect(reply.body).toContain(`An account with ${ANN} already exists.`);
    expect(reply.body).toContain(`Link ${name}`);
    expect(await accountOf(browser)).toBeUndefined();
    expect(await identityCount(app)).toBe(0);
  });

  test(`on: ${name} vouching for the address joins the account, which keeps what its owner had`, async () => {
    const { app, signIn } = await start({ AUTH_TRUSTED_PROVIDERS: key });
    await makeUser(app.pool, ANN);
    await verifyAddress(app);
    const browser = app.client();
    const reply = await signIn(browser);
    expect(reply.status, reply.body.slice(0, 300)).toBe(303);
    expect(reply.location).toBe("/account");
    const page = await browser.get("/account");
    expect(page.body).toContain(`Logged in as <strong>${ANN}</strong>`);
    expect(page.body).toContain(
      `${name} is now linked to your account: it confirmed that ${ANN} is yours.`,
    );
    expect(await identityCount(app)).toBe(1);
    // The address was proven before: nothing was taken away, the password still works.
    await logIn(app.client(), ANN);
  });

  test(`on: an address ${name} does not vouch for joins nothing (403)`, async () => {
    const { app, signIn } = await start({ AUTH_TRUSTED_PROVIDERS: key });
    await makeUser(app.pool, ANN);
    await verifyAddress(app);
    const browser = app.client();
    const reply = await signIn(browser, false);
    expect(reply.status).toBe(403);
    expect(reply.body).toContain(`${name} has not confirmed that ${ANN} is yours`);
    expect(await accountOf(browser)).toBeUndefined();
    expect(await identityCount(app)).toBe(0);
  });

  test(`on: joining an account nobody had proven takes it over from whoever made it`, async () => {
    const { app, signIn } = await start({ AUTH_TRUSTED_PROVIDERS: key });
    // Someone signed up with Ann's address and a password of their own, and stays logged in.
    const attacker = app.client();
    await attacker.get("/register");
    expect(
      (await attacker.post("/register", { email: ANN, password: ATTACKER_PASSWORD })).status,
    ).toBe(303);
    const passkeys = hasFeature("passkeys");
    if (passkeys) {
      expect((await registerPasskey(attacker, new SoftAuthenticator(app.url))).status).toBe(201);
    }

    const ann = app.client();
    const reply = await signIn(ann);
    expect(reply.status, reply.body.slice(0, 300)).toBe(303);
    expect(await accountOf(ann)).toBe(ANN);

    // The attacker's session ended; their password and passkey no longer open the account.
    expect(await accountOf(attacker)).toBeUndefined();
    expect((await submitLogin(app.client(), ANN, { password: ATTACKER_PASSWORD })).status).toBe(
      401,
    );
    const { rows } = await app.pool.query<{ password_hash: string | null; verified: boolean }>(
      "select password_hash, email_verified_at is not null as verified from users where email = $1",
      [ANN],
    );
    expect(rows[0]).toEqual({ password_hash: null, verified: true });
    if (passkeys) {
      const left = await app.pool.query("select 1 from passkeys");
      expect(left.rowCount).toBe(0);
    }
    // Ann is told what went, by mail, and in her trail.
    await app.mailer.idle();
    const mail = app.mailer.outbox
      ?.list()
      .find((m) => m.to === ANN && m.subject === "Ways into your account were removed");
    expect(mail?.text).toContain(`Removed: the password${passkeys ? ", 1 passkey" : ""}.`);
    const { rows: events } = await app.pool.query<{ kind: string }>(
      "select kind from security_events where kind in ('unproven_access_removed', 'identity_linked') order by id",
    );
    expect(events.map((e) => e.kind)).toEqual(["unproven_access_removed", "identity_linked"]);
    // Nobody but Ann's identity signs in now; a password she wants comes by "Forgot your password?".
    expect(await identityCount(app)).toBe(1);
    expect((await submitLogin(app.client(), ANN, { password: PASSWORD })).status).toBe(401);
  });
});
