import { describe, expect, it } from "vitest";
import { listEvents } from "../../../app/features/activity/list.js";
import { hashStoreKey } from "../../../app/session/index.js";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { loggedInClient, logIn, PASSWORD, sessionIdOf, submitLogin } from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { linkIn, NEW_DEVICE_SUBJECT, pathOf, startTestSmtp } from "../../helpers/mail.js";
import { enableTwoFactor, testClock } from "../../helpers/totp.js";

const NEW_PASSWORD = "a different horse battery staple";

/** The user's events, oldest first, as "kind" or "kind:method". */
async function story(app: TestApp, userId: string): Promise<string[]> {
  return (await listEvents(app.pool, userId))
    .map((e) => (e.method ? `${e.kind}:${e.method}` : e.kind))
    .reverse();
}

/** Posts a form from the page that shows it (its CSRF token). */
async function submit(client: HttpClient, page: string, action: string, form = {}) {
  expect((await client.get(page)).status).toBe(200);
  return client.post(action, form);
}

describe("each security action leaves its event, on that user's trail only", () => {
  it("ending a session, logging out everywhere else, changing the password", async () => {
    const app = await startTestApp();
    const bystander = await loggedInClient(app, "bob@example.com");
    const { client: laptop, user } = await loggedInClient(app, "ann@example.com");
    const phone = app.client();
    await logIn(phone, user.email);

    const key = hashStoreKey(sessionIdOf(phone) as string);
    expect(
      (await submit(laptop, "/account/sessions", "/account/sessions/revoke", { key })).status,
    ).toBe(303);
    await logIn(app.client(), user.email);
    expect((await submit(laptop, "/account", "/account/sessions/revoke-others")).status).toBe(303);
    const changed = await submit(laptop, "/account/security", "/account/password", {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(changed.status, changed.body).toBe(303);

    expect(await story(app, user.id)).toEqual([
      "sign_in:password",
      "sign_in:password",
      "session_revoked",
      "sign_in:password",
      "other_sessions_revoked",
      "password_changed",
    ]);
    expect(await story(app, bystander.user.id)).toEqual(["sign_in:password"]);
  });

  it("two-factor on, a sign-in with a recovery code, two-factor off", async () => {
    const clock = testClock();
    const app = await startTestApp({ clock: clock.clock });
    const bystander = await loggedInClient(app, "bob@example.com");
    const { client, user } = await loggedInClient(app, "cat@example.com");
    const { recoveryCodes } = await enableTwoFactor(client, clock);

    const browser = app.client();
    expect((await submitLogin(browser, user.email)).headers.get("location")).toBe(
      "/login/two-factor",
    );
    const done = await submit(browser, "/login/two-factor", "/login/two-factor", {
      code: recoveryCodes[0],
    });
    expect(done.status, done.body).toBe(303);
    const off = await submit(browser, "/account/security", "/account/two-factor/disable");
    expect(off.status, off.body).toBe(303);

    expect(await story(app, user.id)).toEqual([
      "sign_in:password",
      "two_factor_enabled",
      "sign_in:password+2fa",
      "recovery_code_used",
      "two_factor_disabled",
    ]);
    expect(await story(app, bystander.user.id)).toEqual(["sign_in:password"]);
  });

  it("verifying the address, changing it, resetting the password", async () => {
    const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
    const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
    const bystander = await loggedInClient(app, "bob@example.com");
    const { client, user } = await loggedInClient(app, "dan@example.com");

    await submit(client, "/account", "/account/email/resend");
    const verify = linkIn(await smtp.nextMailTo(user.email), "/email/verify/");
    expect((await client.get(pathOf(verify))).status).toBeLessThan(400);

    const asked = await submit(client, "/account/email", "/account/email", {
      new_email: "dan@new.example",
      current_password: PASSWORD,
    });
    expect(asked.status, asked.body).toBeLessThan(400);
    const confirm = linkIn(await smtp.nextMailTo("dan@new.example"), "/email/change/");
    expect((await client.get(pathOf(confirm))).status).toBeLessThan(400);

    const visitor = app.client();
    await submit(visitor, "/password/forgot", "/password/forgot", { email: "dan@new.example" });
    const reset = pathOf(linkIn(await smtp.nextMailTo("dan@new.example"), "/password/reset/"));
    const done = await submit(visitor, reset, reset, { password: NEW_PASSWORD });
    expect(done.status, done.body).toBeLessThan(400);

    expect(await story(app, user.id)).toEqual([
      "sign_in:password",
      "email_verified",
      "email_change_requested",
      "email_changed",
      "password_reset",
    ]);
    expect(await story(app, bystander.user.id)).toEqual(["sign_in:password"]);
    // No secret, token or session ID is kept with the events.
    const { rows } = await app.pool.query("select * from security_events");
    const dump = JSON.stringify(rows);
    const token = (link: string) => new URL(link).pathname.split("/").pop() as string;
    for (const secret of [PASSWORD, NEW_PASSWORD, token(verify), token(confirm), reset]) {
      expect(dump).not.toContain(secret.split("/").pop());
    }
    expect(dump).not.toContain(sessionIdOf(client) ?? "no session");
  });
});
