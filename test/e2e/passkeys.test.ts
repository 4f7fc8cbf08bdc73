import type { CDPSession, Page } from "playwright-core";
import { expect, test } from "vitest";
import { makeUser } from "../helpers/auth.js";
import {
  docShot,
  flashSaying,
  logInWithBrowser,
  saveScreenshot,
  submitLoginForm,
  textOf,
  useBrowser,
} from "../helpers/e2e.js";
import { STEP_MS, testClock, totpCode } from "../helpers/totp.js";

// Chromium's virtual authenticator (CDP WebAuthn domain): a platform authenticator with
// resident keys and user verification, as a phone or laptop has. Passkeys need a host name:
// the app's URL is http://localhost (a secure context), never 127.0.0.1.
const e2e = useBrowser();

interface Authenticator {
  cdp: CDPSession;
  id: string;
  /** Automatic presence: while on, every request is answered as it starts. */
  presence(enabled: boolean): Promise<void>;
  credentials(): Promise<Array<{ credentialId: string; signCount: number }>>;
}

async function virtualAuthenticator(page: Page): Promise<Authenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId: id } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    id,
    presence: async (enabled) => {
      await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId: id, enabled });
    },
    credentials: async () =>
      (await cdp.send("WebAuthn.getCredentials", { authenticatorId: id })).credentials,
  };
}

async function addPasskey(page: Page) {
  await page.goto("/account/security");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await flashSaying(page, /Passkey added/);
}

async function logOut(page: Page) {
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL("**/login?loggedout=1");
}

/** Marks the page while its autofill (conditional UI) request is waiting: `autofillWaiting`. */
const WATCH_AUTOFILL = `
  (() => {
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      const request = get(options);
      if (options && options.mediation === "conditional") {
        window.autofillWaiting = true;
        request.then(
          () => { window.autofillWaiting = false; },
          () => { window.autofillWaiting = false; },
        );
      }
      return request;
    };
  })();
`;

/**
 * A browser without passkey autofill (conditional UI), as some still are: the login page then
 * offers only the button. The virtual authenticator answers every request as it starts, so
 * where autofill runs, it would answer before any click could: the second-factor test turns it off.
 */
const WITHOUT_AUTOFILL = `
  if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
`;

test("add a passkey, rename it, sign in with it from autofill and from the button, remove it", async () => {
  const app = await e2e.startApp({ hostname: "localhost" });
  await makeUser(app.pool, "pia@example.com");
  const { watched, page } = await e2e.newPage(app);
  const authenticator = await virtualAuthenticator(page);
  await logInWithBrowser(page, "pia@example.com");

  await addPasskey(page);
  const list = page.getByTestId("passkeys");
  expect(await list.locator("li").count()).toBe(1);
  expect(await textOf(list)).toMatch(/Added .* never used/);
  expect(await authenticator.credentials()).toHaveLength(1);

  await page.getByLabel("Passkey name").fill("Work laptop");
  await page.getByRole("button", { name: "Save name" }).click();
  await flashSaying(page, 'Passkey renamed to "Work laptop".');
  expect(await page.getByLabel("Passkey name").inputValue()).toBe("Work laptop");
  await saveScreenshot(page, "passkeys-security");
  await docShot(page, "passkeys", "section[aria-labelledby=passkeys-title]");

  // Autofill (conditional UI): with presence on, the login page's pending request is answered
  // as soon as it loads, and the passkey signs in without a click.
  const visited: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) visited.push(new URL(frame.url()).pathname);
  });
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await page.waitForURL("**/account");
  expect(visited).toEqual(["/login", "/account"]);
  expect(await textOf(page.locator("header.site"))).toContain("pia@example.com");

  // The button, pressed while the autofill request waits (as a person does): the page starts
  // it with presence off, so it waits; presence goes on only once it is waiting (a request
  // already waiting is not answered by that), and the click's own request is answered.
  await authenticator.presence(false);
  await page.context().addInitScript({ content: WATCH_AUTOFILL });
  await logOut(page);
  await page.waitForFunction(
    () => (globalThis as { autofillWaiting?: boolean }).autofillWaiting === true,
  );
  await authenticator.presence(true);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.waitForURL("**/account");
  await page.goto("/account/security");
  expect(await textOf(page.getByTestId("passkeys"))).toMatch(/last used/);

  // Remove (sudo mode: the passkey sign-in just now counts), then it no longer signs in: the
  // login page's autofill offers it (presence on: at once), the app refuses it and says so, and
  // the device is told to forget it where the browser supports that.
  await page.getByRole("button", { name: "Remove" }).click();
  await flashSaying(page, /Passkey removed/);
  await page.getByTestId("passkeys-empty").waitFor();
  watched.expectStatus(401, "/login/passkey");
  await logOut(page);
  const alert = page.locator("#passkey-status");
  await alert.filter({ hasText: "not registered here" }).waitFor();
  expect(new URL(page.url()).pathname).toBe("/login");
  // The browser was told the site no longer knows it (signalUnknownCredential): the
  // authenticator drops it, so it is not offered again.
  await expect
    .poll(async () => (await authenticator.credentials()).length, { timeout: 10_000 })
    .toBe(0);
});

test("a passkey as the second factor, and to confirm it's you", async () => {
  const clock = testClock();
  const app = await e2e.startApp({ hostname: "localhost", clock: clock.clock });
  await makeUser(app.pool, "sec@example.com");
  const { watched, page } = await e2e.newPage(app);
  const authenticator = await virtualAuthenticator(page);
  await logInWithBrowser(page, "sec@example.com");

  await page.goto("/account/two-factor/setup");
  const secret = (await textOf(page.locator("[data-totp-secret]"))).trim();
  await page.getByLabel("Code from the app").fill(totpCode(secret, clock.now()));
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  await page.getByRole("link", { name: "I have saved them" }).click();
  await page.waitForURL("**/account/security");
  await addPasskey(page);

  // Password, then the passkey instead of a code. (Without autofill on the login page: it would
  // sign in with the passkey before the password could be typed.)
  await page.context().addInitScript({ content: WITHOUT_AUTOFILL });
  await logOut(page);
  clock.advance(STEP_MS);
  await submitLoginForm(page, "sec@example.com");
  await page.waitForURL("**/login/two-factor");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL("**/account");

  // Eleven minutes on, a change asks to confirm: the passkey does it.
  clock.advance(11 * 60_000);
  await page.goto("/account/security");
  watched.expectStatus(403, "/account/passkeys/options");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.waitForURL("**/account/confirm?*");
  await page.getByRole("button", { name: "Confirm with a passkey" }).click();
  await page.waitForURL("**/account/security");
  const credentials = await authenticator.credentials();
  expect(credentials).toHaveLength(1);
  expect(credentials[0]?.signCount).toBeGreaterThan(0);
});
