import { describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD, submitLogin } from "../helpers/auth.js";
import { hasFeature } from "../helpers/features.js";
import type { HttpClient } from "../helpers/http-client.js";
import { linkIn, pathOf, startTestSmtp } from "../helpers/mail.js";
import { enableTwoFactor, type TestClock, testClock, totpCode } from "../helpers/totp.js";

/**
 * Device cookies (OWASP): a browser that logged in to an account gets its own count of wrong
 * guesses, so others' guesses cannot lock the owner out. They must not become a way around the
 * account's own count: a password change or reset makes every earlier one unknown, an account
 * has a bounded number of lanes, and the code step counts per lane as the password step does.
 */

const NEW_PASSWORD = "a brand new passphrase for ann 9";

/** `tries` wrong passwords from `browser`: how many were checked (401) rather than refused (429). */
async function wrongGuesses(browser: HttpClient, email: string, tries: number): Promise<number> {
  let checked = 0;
  for (let i = 0; i < tries; i++) {
    const reply = await submitLogin(browser, email, { password: `wrong guess number ${i}` });
    expect([401, 429]).toContain(reply.status);
    if (reply.status === 401) checked++;
  }
  return checked;
}

/** Browsers that logged in with the password (each holds a device cookie for the account). */
async function browsersThatLoggedIn(
  app: TestApp,
  email: string,
  count: number,
  password = PASSWORD,
) {
  const browsers: HttpClient[] = [];
  for (let i = 0; i < count; i++) {
    const browser = app.client();
    await logIn(browser, email, { password });
    await browser.get("/account");
    await browser.post("/logout");
    expect(browser.cookies.has("device")).toBe(true);
    browsers.push(browser);
  }
  return browsers;
}

describe("device cookies do not outlive the password", () => {
  test("after a password change, three old device cookies get the account's 5 checks between them, not 30", async () => {
    const app = await startTestApp({ loginLimits: { perIp: 100 } });
    await makeUser(app.pool, "ann@example.com");
    // Someone who knew the old password logged in from three browsers.
    const old = await browsersThatLoggedIn(app, "ann@example.com", 3);

    const ann = app.client();
    await logIn(ann, "ann@example.com");
    await ann.get("/account/security");
    const changed = await ann.post("/account/password", {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(changed.status).toBe(303);

    let checked = 0;
    for (const browser of old) checked += await wrongGuesses(browser, "ann@example.com", 10);
    expect(checked).toBe(5);

    // Ann's own browser, which changed the password, is still known: its own count, so she
    // still logs in while the account's count is used up.
    await ann.get("/account");
    await ann.post("/logout");
    await logIn(ann, "ann@example.com", { password: NEW_PASSWORD });
  });

  test("after a password reset, an old device cookie counts as unknown", async () => {
    const smtp = await startTestSmtp();
    const app = await startTestApp({
      env: { SMTP_URL: smtp.url },
      loginLimits: { perIp: 100, perAccount: 2 },
    });
    await makeUser(app.pool, "ann@example.com");
    const [old] = await browsersThatLoggedIn(app, "ann@example.com", 1);

    const owner = app.client();
    await owner.get("/password/forgot");
    await owner.post("/password/forgot", { email: "ann@example.com" });
    let mail = await smtp.nextMailTo("ann@example.com");
    while (mail.subject !== "Reset your password") mail = await smtp.nextMailTo("ann@example.com");
    const reset = pathOf(linkIn(mail, "/password/reset/"));
    await owner.get(reset);
    expect((await owner.post(reset, { password: NEW_PASSWORD })).status).toBe(303);

    expect(await wrongGuesses(old as HttpClient, "ann@example.com", 10)).toBe(2);
  });

  test("an account has a bounded number of device lanes, however many browsers logged in", async () => {
    const app = await startTestApp({ loginLimits: { perIp: 1000, perDevice: 2 } });
    await makeUser(app.pool, "ann@example.com");
    const browsers = await browsersThatLoggedIn(app, "ann@example.com", 12);
    let checked = 0;
    for (const browser of browsers) checked += await wrongGuesses(browser, "ann@example.com", 2);
    // 4 lanes of 2 at most, where each browser kept its own count of 2 before (24).
    expect(checked).toBeLessThanOrEqual(8);
  });
});

describe.skipIf(!hasFeature("two-factor"))(
  "the code step has the password step's device lanes",
  () => {
    async function ownerWithTwoFactor(clock: TestClock) {
      const app = await startTestApp({ clock: clock.clock, loginLimits: { perIp: 100 } });
      await makeUser(app.pool, "ann@example.com");
      const ann = app.client();
      await logIn(ann, "ann@example.com");
      const { secret } = await enableTwoFactor(ann, clock);
      return { app, ann, secret };
    }

    /** Someone with Ann's password, in a browser of their own, types five wrong codes. */
    async function attackerExhaustsCodes(app: TestApp) {
      const attacker = app.client();
      expect((await submitLogin(attacker, "ann@example.com")).location).toBe("/login/two-factor");
      await attacker.get("/login/two-factor");
      for (let i = 0; i < 5; i++) {
        expect((await attacker.post("/login/two-factor", { code: "000000" })).status).toBe(401);
      }
      expect((await attacker.post("/login/two-factor", { code: "000000" })).status).toBe(429);
    }

    test("five wrong codes from another browser do not lock the owner's code step in her own browser", async () => {
      const clock = testClock();
      const { app, ann, secret } = await ownerWithTwoFactor(clock);
      await ann.get("/account");
      await ann.post("/logout");

      await attackerExhaustsCodes(app);

      expect((await submitLogin(ann, "ann@example.com")).location).toBe("/login/two-factor");
      await ann.get("/login/two-factor");
      const done = await ann.post("/login/two-factor", { code: totpCode(secret, clock.now()) });
      expect(done.status).toBe(303);
      expect(done.location).toBe("/account");
    });

    test("nor her confirmation (sudo mode) on /account/confirm", async () => {
      const clock = testClock();
      const { app, ann, secret } = await ownerWithTwoFactor(clock);
      await attackerExhaustsCodes(app);

      clock.advance(11 * 60_000);
      await ann.get("/account/confirm");
      const confirmed = await ann.post("/account/confirm", {
        password: PASSWORD,
        code: totpCode(secret, clock.now()),
        next: "/account/security",
      });
      expect(confirmed.status).toBe(303);
      expect(confirmed.location).toBe("/account/security");
    });
  },
);
