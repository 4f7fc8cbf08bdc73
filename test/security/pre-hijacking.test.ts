import { describe, expect, test } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { accountOf, logIn, PASSWORD } from "../helpers/auth.js";
import { hasFeature } from "../helpers/features.js";
import type { HttpClient } from "../helpers/http-client.js";
import {
  linkIn,
  NEW_DEVICE_SUBJECT,
  pathOf,
  startTestSmtp,
  type TestSmtp,
} from "../helpers/mail.js";
import {
  OIDC_NAME,
  signInAtProvider,
  signInWithProvider,
  startAppWithProvider,
} from "../helpers/oidc-provider.js";
import { registerPasskey, signInWithPasskey } from "../helpers/passkeys.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { enableTwoFactor, testClock } from "../helpers/totp.js";

/**
 * Account pre-hijacking (Sudhodanan and Paverd, USENIX Security 2022): someone makes an account
 * with the victim's address before the victim does, adds a way in of their own, and waits for the
 * victim to take the account over by proving the address. Proving it (the verification link or
 * a password reset) removes every way in added while nobody had, and ends every session.
 */

const VICTIM = "victim@example.com";
const ATTACKER_PASSWORD = "an attacker's own passphrase 7";
const NEW_PASSWORD = "the victim's own new passphrase 42";
const REMOVED_SUBJECT = "Ways into your account were removed";

async function setup(env: Record<string, string> = {}) {
  const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
  const clock = testClock();
  const { app, provider } = await startAppWithProvider({
    env: { SMTP_URL: smtp.url, ...env },
    clock: clock.clock,
  });
  return { app, provider, smtp, clock };
}

/** The attacker signs up with the victim's address and a password of their own. */
async function attackerSignsUp(app: TestApp): Promise<HttpClient> {
  const attacker = app.client();
  await attacker.get("/register");
  const reply = await attacker.post("/register", { email: VICTIM, password: ATTACKER_PASSWORD });
  expect(reply.status, reply.body).toBe(303);
  return attacker;
}

/** What the victim does: sign up (the address is taken), then reset the password by mail. */
async function victimResetsPassword(app: TestApp, smtp: TestSmtp) {
  const victim = app.client();
  await victim.get("/register");
  expect((await victim.post("/register", { email: VICTIM, password: NEW_PASSWORD })).status).toBe(
    409,
  );
  await victim.get("/password/forgot");
  await victim.post("/password/forgot", { email: VICTIM });
  const reset = linkIn(await nextMail(smtp, "Reset your password"), "/password/reset/");
  await victim.get(pathOf(reset));
  const done = await victim.post(pathOf(reset), { password: NEW_PASSWORD });
  expect(done.location).toBe("/login?reset=1");
  await logIn(victim, VICTIM, { password: NEW_PASSWORD });
  return victim;
}

async function nextMail(smtp: TestSmtp, subject: string) {
  for (;;) {
    const mail = await smtp.nextMailTo(VICTIM);
    if (mail.subject === subject) return mail;
  }
}

describe.skipIf(!hasFeature("providers"))(
  "P1: a provider that does not vouch for the address does not get to make an account with it",
  () => {
    test.each([
      ["email_verified: false", { email_verified: false }, {}],
      ["no email_verified claim", {}, {}],
      [
        "email_verified: false, REQUIRE_EMAIL_VERIFICATION=true",
        { email_verified: false },
        {
          REQUIRE_EMAIL_VERIFICATION: "true",
        },
      ],
    ])(
      "%s: refused with a page that says what to do; the owner's sign-up still works",
      async (_what, claims, env) => {
        const { app, provider } = await setup(env);
        provider.accounts.set("sub-attacker", { email: VICTIM, ...claims });
        const attacker = app.client();
        const { reply } = await signInWithProvider(attacker, "sub-attacker");
        expect(reply.status).toBe(403);
        expect(reply.body).toContain(
          `${OIDC_NAME} has not confirmed that ${VICTIM} is yours, so no account was made with it.`,
        );
        expect(reply.body).toContain("create an account with a password");
        expect(await accountOf(attacker)).toBeUndefined();

        const owner = app.client();
        await owner.get("/register");
        expect(
          (await owner.post("/register", { email: VICTIM, password: NEW_PASSWORD })).status,
        ).toBe(303);
        // The attacker's identity signs in to nothing of the owner's.
        const again = app.client();
        expect((await signInWithProvider(again, "sub-attacker")).reply.status).toBe(403);
        expect(await accountOf(again)).toBeUndefined();
      },
    );

    test("a provider that vouches makes the account with the address already confirmed", async () => {
      const { app, provider } = await setup({ REQUIRE_EMAIL_VERIFICATION: "true" });
      provider.accounts.set("sub-zoe", { email: "zoe@example.com", email_verified: true });
      const zoe = app.client();
      await signInWithProvider(zoe, "sub-zoe");
      const page = await zoe.get("/account");
      expect(/data-testid="email-status">([^<]*)</.exec(page.body)?.[1]).toBe("verified");
      // Private pages open at once: nothing waits for a link.
      expect((await zoe.get("/account/security")).status).toBe(200);
    });
  },
);

describe.skipIf(!hasFeature("passkeys") || !hasFeature("two-factor"))(
  "P2: a passkey (and two-factor) added before the address was proven",
  () => {
    test("the victim's password reset removes them, ends the attacker's session, and a mail and the trail say so", async () => {
      const { app, smtp, clock } = await setup();
      const attacker = await attackerSignsUp(app);
      const authenticator = new SoftAuthenticator(app.url);
      expect((await registerPasskey(attacker, authenticator)).status).toBe(201);
      await enableTwoFactor(attacker, clock);
      // Before: the attacker's passkey signs in.
      expect((await signInWithPasskey(app.client(), authenticator)).status).toBe(200);

      const victim = await victimResetsPassword(app, smtp);

      // After: the passkey signs in to nothing, the attacker's session is over.
      const reply = await signInWithPasskey(app.client(), authenticator);
      expect(reply.status).not.toBe(200);
      expect(await accountOf(attacker)).toBeUndefined();
      // Two-factor went too: the victim's password alone logged in (no code asked).
      expect(await accountOf(victim)).toBe(VICTIM);

      const mail = await nextMail(smtp, REMOVED_SUBJECT);
      expect(mail.text).toContain("1 passkey");
      expect(mail.text).toContain("two-factor authentication");
      expect(mail.text).toContain("every session was logged out");
      const trail = (await victim.get("/account/security")).body;
      expect(trail).toContain("Removed the ways in added before the address was confirmed");
    });

    test("the victim opening the verification link removes them too", async () => {
      const { app, smtp } = await setup();
      const attacker = await attackerSignsUp(app);
      const authenticator = new SoftAuthenticator(app.url);
      expect((await registerPasskey(attacker, authenticator)).status).toBe(201);

      const verify = linkIn(await nextMail(smtp, "Confirm your email address"), "/email/verify/");
      const opened = await app.client().get(pathOf(verify));
      expect(opened.status).toBe(200);

      expect((await signInWithPasskey(app.client(), authenticator)).status).not.toBe(200);
      expect(await accountOf(attacker)).toBeUndefined();
      expect((await nextMail(smtp, REMOVED_SUBJECT)).text).toContain("1 passkey");
    });
  },
);

describe.skipIf(!hasFeature("providers"))(
  "P3: a provider identity linked before the address was proven",
  () => {
    test("the victim's reset unlinks it: the attacker's sign-in no longer reaches the account", async () => {
      const { app, provider, smtp } = await setup();
      provider.accounts.set("sub-attacker", {
        email: "attacker@evil.example",
        email_verified: true,
      });
      const attacker = await attackerSignsUp(app);
      await attacker.get("/account");
      const start = await attacker.post("/account/providers/oidc/link", {});
      const callback = await signInAtProvider(start.location as string, "sub-attacker");
      await attacker.get(callback.pathname + callback.search);
      const before = app.client();
      await signInWithProvider(before, "sub-attacker");
      expect(await accountOf(before)).toBe(VICTIM);

      await victimResetsPassword(app, smtp);

      const after = app.client();
      await signInWithProvider(after, "sub-attacker");
      expect(await accountOf(after)).not.toBe(VICTIM);
      expect(await accountOf(before)).toBeUndefined();
      expect((await nextMail(smtp, REMOVED_SUBJECT)).text).toContain(`1 linked sign-in provider`);
    });

    test("a provider vouching for the address of an account nobody proved is pointed to the reset", async () => {
      const { app, provider } = await setup();
      await attackerSignsUp(app);
      provider.accounts.set("sub-victim", { email: VICTIM, email_verified: true });
      const { reply } = await signInWithProvider(app.client(), "sub-victim");
      expect(reply.status).toBe(409);
      expect(reply.body).toContain(`An account with ${VICTIM} already exists.`);
      expect(reply.body).toContain("Forgot your password?");
    });
  },
);

test("proving the address of an account with nothing added removes nothing and keeps this browser logged in", async () => {
  const { app, smtp } = await setup();
  const owner = app.client();
  await owner.get("/register");
  await owner.post("/register", { email: VICTIM, password: PASSWORD });
  const verify = linkIn(await nextMail(smtp, "Confirm your email address"), "/email/verify/");
  expect((await owner.get(pathOf(verify))).location).toBe("/account");
  expect(await accountOf(owner)).toBe(VICTIM);
  await app.mailer.idle();
  expect(smtp.mailsTo(VICTIM).map((m) => m.subject)).toEqual(["Confirm your email address"]);
});
