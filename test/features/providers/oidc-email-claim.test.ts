import { expect, test } from "vitest";
import type { TestApp } from "../../helpers/app.js";
import { PASSWORD } from "../../helpers/auth.js";
import {
  OIDC_NAME,
  signInWithProvider,
  startAppWithProvider,
} from "../../helpers/oidc-provider.js";

/**
 * The provider's email claim is the provider's user's to type: it passes what the sign-up form
 * passes, or no account is made with it. An address list, a display name or a line break would
 * send the account's mails (reset links) to every address in it.
 */

const userCount = async (app: TestApp) =>
  (await app.pool.query<{ n: number }>("select count(*)::int as n from users")).rows[0]?.n;

test.each([
  ["longer than 254 characters", `${"a".repeat(250)}@example.com`],
  ["two addresses", "victim@example.com, attacker@evil.example"],
  ["a display name", '"Victim" <victim@example.com>'],
  ["a line break and a header", "victim@example.com\r\nBcc: attacker@evil.example"],
  ["no address at all", "not an address"],
])(
  "a first sign-in whose email claim is %s is refused with a page that says so: no account, no 500",
  async (_what, claim) => {
    const { app, provider } = await startAppWithProvider();
    provider.accounts.set("sub-odd", { email: claim, email_verified: true });
    const browser = app.client();
    const { reply } = await signInWithProvider(browser, "sub-odd");
    expect(reply.status).toBe(400);
    expect(reply.body).toContain(`Signing in with ${OIDC_NAME} did not work`);
    expect(reply.body).toContain(
      `${OIDC_NAME} gave an email address that cannot be used here, so no account was made.`,
    );
    expect(reply.body).not.toContain("evil.example");
    expect(await userCount(app)).toBe(0);
    expect((await browser.get("/account")).status).toBe(303);
    await app.mailer.idle();
    expect(app.mailer.outbox?.list() ?? []).toEqual([]);
  },
);

test("a claim with spaces around a good address makes the account with the address alone", async () => {
  const { app, provider } = await startAppWithProvider();
  provider.accounts.set("sub-spaces", { email: "  zed@example.com ", email_verified: true });
  const browser = app.client();
  const { reply } = await signInWithProvider(browser, "sub-spaces");
  expect(reply.status).toBe(303);
  expect((await browser.get("/account")).body).toContain(
    "Logged in as <strong>zed@example.com</strong>",
  );
  // The address is the same one the sign-up form would take: taken for it now.
  const signUp = app.client();
  await signUp.get("/register");
  expect(
    (await signUp.post("/register", { email: "zed@example.com", password: PASSWORD })).status,
  ).toBe(409);
});
