import { expect, test } from "vitest";
import type { TestApp } from "../helpers/app.js";
import { startTestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD } from "../helpers/auth.js";
import { hasFeature } from "../helpers/features.js";
import { linkIn, pathOf, startTestSmtp, type TestSmtp } from "../helpers/mail.js";
import { signInWithProvider, startAppWithProvider } from "../helpers/oidc-provider.js";

/**
 * A log reader must not be able to use a mailed link, nor finish someone's provider sign-in:
 * every token is masked wherever it appears in a logged URL, query, `next` or `Location`,
 * encoded or not. Each flow is played, then its whole captured log is searched for the token
 * and for every 8 characters of it.
 */

function expectNotLogged(app: TestApp, secret: string) {
  const log = app.logs.text();
  expect(log.length).toBeGreaterThan(0);
  for (let at = 0; at + 8 <= secret.length; at++) {
    expect(log, `"${secret.slice(at, at + 8)}" of the secret is in the log`).not.toContain(
      secret.slice(at, at + 8),
    );
  }
}

const tokenOf = (link: string) => pathOf(link).split("/").pop() as string;

async function mailWith(smtp: TestSmtp, to: string, subject: string) {
  for (;;) {
    const mail = await smtp.nextMailTo(to);
    if (mail.subject === subject) return mail;
  }
}

async function appWithSmtp() {
  const smtp = await startTestSmtp();
  const app = await startTestApp({ env: { SMTP_URL: smtp.url, LOG_LEVEL: "info" } });
  return { app, smtp };
}

test("password reset: the link's token is in no log line", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client();
  await browser.get("/password/forgot");
  await browser.post("/password/forgot", { email: "ann@example.com" });
  const link = linkIn(
    await mailWith(smtp, "ann@example.com", "Reset your password"),
    "/password/reset/",
  );
  await browser.get(pathOf(link));
  expect(
    (await browser.post(pathOf(link), { password: "a new passphrase for ann 12" })).status,
  ).toBe(303);
  expectNotLogged(app, tokenOf(link));
});

test("verification: the link's token is in no log line", async () => {
  const { app, smtp } = await appWithSmtp();
  const browser = app.client();
  await browser.get("/register");
  await browser.post("/register", { email: "bob@example.com", password: PASSWORD });
  const link = linkIn(
    await mailWith(smtp, "bob@example.com", "Confirm your email address"),
    "/email/verify/",
  );
  expect((await browser.get(pathOf(link))).status).toBe(303);
  expectNotLogged(app, tokenOf(link));
});

test("change of address opened logged out: not in the 303's Location, the login page's next, nor the Location after login", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "cat@example.com");
  const cat = app.client();
  await logIn(cat, "cat@example.com");
  await cat.get("/account/email");
  await cat.post("/account/email", { new_email: "cat@new.example", current_password: PASSWORD });
  const link = linkIn(
    await mailWith(smtp, "cat@new.example", "Confirm your new email address"),
    "/email/change/",
  );

  const phone = app.client();
  const toLogin = await phone.get(pathOf(link));
  expect(toLogin.status).toBe(303);
  const next = new URL(toLogin.location as string, app.url).searchParams.get("next") as string;
  expect(next).toBe(pathOf(link));
  const loggedIn = await logIn(phone, "cat@example.com", { next });
  expect(loggedIn.location).toBe(pathOf(link));
  expect((await phone.get(pathOf(link))).location).toBe("/account");
  expect((await phone.get("/account")).body).toContain(
    "Your email address is now cat@new.example.",
  );
  expectNotLogged(app, tokenOf(link));
});

test.skipIf(!hasFeature("providers"))(
  "a provider's callback: its code and state are in no log line",
  async () => {
    const { app, provider } = await startAppWithProvider({ env: { LOG_LEVEL: "info" } });
    provider.accounts.set("sub-dee", { email: "dee@example.com", email_verified: true });
    const { callback, reply } = await signInWithProvider(app.client(), "sub-dee");
    expect(reply.status).toBe(303);
    const code = callback.searchParams.get("code") as string;
    const state = callback.searchParams.get("state") as string;
    expect(code.length).toBeGreaterThanOrEqual(8);
    expectNotLogged(app, code);
    expectNotLogged(app, state);
  },
);
