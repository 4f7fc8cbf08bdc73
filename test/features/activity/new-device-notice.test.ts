import { describe, expect, it } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { logIn, makeUser } from "../../helpers/auth.js";
import { linkIn, NEW_DEVICE_SUBJECT, startTestSmtp } from "../../helpers/mail.js";

const FIREFOX_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0";

describe("a notice mail for a sign-in from a new device", () => {
  it("arrives for a browser new to the account, with the device, time and the sessions link; not for a known one", async () => {
    const smtp = await startTestSmtp();
    const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
    const user = await makeUser(app.pool, "erin@example.com");

    const browser = app.client({ "user-agent": FIREFOX_MAC });
    await logIn(browser, user.email);
    const notice = await smtp.nextMailTo(user.email);
    expect(notice.subject).toBe(NEW_DEVICE_SUBJECT);
    expect(notice.text).toContain("Firefox on macOS");
    expect(notice.text).toMatch(/\d{4}, \d+:\d{2}:\d{2} [AP]M UTC/);
    expect(new URL(linkIn(notice, "/account/sessions")).toString()).toBe(
      `${app.url}/account/sessions`,
    );

    // The same browser again (its device cookie names the account): no mail.
    await browser.get("/account");
    expect((await browser.post("/logout")).status).toBe(303);
    await logIn(browser, user.email);
    await app.mailer.idle();
    expect(smtp.mailsTo(user.email)).toHaveLength(1);

    // Another browser: a second notice.
    await logIn(app.client(), user.email);
    await app.mailer.idle();
    expect(smtp.mailsTo(user.email)).toHaveLength(2);
  });
});

describe("a user agent is the client's to choose: never shown as sent", () => {
  it("an attacker's text in the User-Agent reaches neither the notice mail, the trail nor the sessions list", async () => {
    const smtp = await startTestSmtp();
    const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
    const user = await makeUser(app.pool, "erin@example.com");
    const lure = "Visit https://evil.example/secure-your-account now";

    const attacker = app.client({ "user-agent": lure });
    await logIn(attacker, user.email);
    const notice = await smtp.nextMailTo(user.email);
    expect(notice.subject).toBe(NEW_DEVICE_SUBJECT);
    expect(notice.text).toContain("an unknown browser");
    expect(`${notice.text}${notice.html}`).not.toContain("evil.example");

    // The owner's own pages, in their own browser.
    const owner = app.client({ "user-agent": FIREFOX_MAC });
    await logIn(owner, user.email);
    const sessions = await owner.get("/account/sessions");
    expect(sessions.body).toContain("Firefox on macOS");
    expect(sessions.body).toMatch(/an unknown browser/i);
    const trail = await owner.get("/account/security");
    expect(trail.body).toContain("Signed in with a password from an unknown browser");
    for (const page of [sessions.body, trail.body]) {
      expect(page).not.toContain("evil.example");
      expect(page).not.toContain("Visit https");
    }
  });
});
