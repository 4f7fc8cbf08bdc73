import { describe, expect, test } from "vitest";
import { sharedMaintenanceConnection, startMaintenance } from "../../../app/maintenance/runner.js";
import { expiredTokensTask } from "../../../app/maintenance/tasks.js";
import { startTestApp } from "../../helpers/app.js";
import { logIn, makeUser, PASSWORD, sessionIdOf, sessionRow } from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { linkIn, pathOf, startTestSmtp } from "../../helpers/mail.js";
import { PROBE_WRITE, PROBE_WRITTEN } from "../../helpers/probe-routes.js";

async function appWithSmtp(env: Record<string, string> = {}) {
  const smtp = await startTestSmtp();
  // PROBE_WRITE: a private page (under /account) that is not one an unverified user may reach.
  const app = await startTestApp({ env: { SMTP_URL: smtp.url, ...env }, probeRoutes: true });
  return { app, smtp };
}

async function signUp(client: HttpClient, email: string) {
  await client.get("/register");
  const reply = await client.post("/register", { email, password: PASSWORD });
  expect(reply.status, reply.body).toBe(303);
}

const status = (page: string) => /data-testid="email-status">([^<]*)</.exec(page)?.[1];

test("sign-up sends a link; opening it verifies the address and gives the session a new ID", async () => {
  const { app, smtp } = await appWithSmtp();
  const client = app.client();
  await signUp(client, "ann@example.com");
  expect(status((await client.get("/account")).body)).toBe("not verified");

  const mail = await smtp.nextMailTo("ann@example.com");
  expect(mail.subject).toBe("Confirm your email address");
  const link = linkIn(mail, "/email/verify/");
  expect(link.startsWith(`${app.config.appUrl}/email/verify/`)).toBe(true);
  expect(mail.html).toContain(link);

  const before = sessionIdOf(client) as string;
  const opened = await client.get(pathOf(link));
  expect(opened.status).toBe(303);
  expect(opened.location).toBe("/account");
  const after = sessionIdOf(client) as string;
  expect(after).not.toBe(before);
  expect(await sessionRow(app.pool, before)).toBeUndefined();
  const page = await client.get("/account");
  expect(page.body).toContain("Your email address is verified.");
  expect(status(page.body)).toBe("verified");

  // Used up.
  expect((await client.get(pathOf(link))).status).toBe(400);
});

test("opened in a browser that is not logged in, the link still verifies the address", async () => {
  const { app, smtp } = await appWithSmtp();
  await signUp(app.client(), "bob@example.com");
  const link = linkIn(await smtp.nextMailTo("bob@example.com"), "/email/verify/");
  const other = app.client();
  const opened = await other.get(pathOf(link));
  expect(opened.status).toBe(200);
  expect(opened.body).toContain("Your email address is verified.");
  expect(other.cookies.has("sid")).toBe(false);
  const client = app.client();
  await logIn(client, "bob@example.com");
  expect(status((await client.get("/account")).body)).toBe("verified");
});

test("Resend: a new link, and the older one stops working", async () => {
  const { app, smtp } = await appWithSmtp();
  const client = app.client();
  await signUp(client, "cat@example.com");
  const older = linkIn(await smtp.nextMailTo("cat@example.com"), "/email/verify/");
  await client.get("/account");
  const resent = await client.post("/account/email/resend");
  expect(resent.status).toBe(303);
  expect((await client.get("/account")).body).toContain("We sent a new link to cat@example.com.");
  const newer = linkIn(await smtp.nextMailTo("cat@example.com"), "/email/verify/");
  expect(newer).not.toBe(older);
  expect((await client.get(pathOf(older))).status).toBe(400);
  expect((await client.get(pathOf(newer))).status).toBe(303);
});

test("Resend is limited per account: 429 with Retry-After", async () => {
  const smtp = await startTestSmtp();
  const app = await startTestApp({
    env: { SMTP_URL: smtp.url },
    loginLimits: { mailsPerAccount: 2 },
  });
  const client = app.client();
  await signUp(client, "dan@example.com");
  await client.get("/account");
  expect((await client.post("/account/email/resend")).status).toBe(303);
  await client.get("/account");
  expect((await client.post("/account/email/resend")).status).toBe(303);
  await client.get("/account");
  const refused = await client.post("/account/email/resend");
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
});

test("an expired, tampered, or reset link for the purpose does not verify; another user's link verifies only its own user", async () => {
  const { app, smtp } = await appWithSmtp();
  const eve = app.client();
  await signUp(eve, "eve@example.com");
  const eveLink = linkIn(await smtp.nextMailTo("eve@example.com"), "/email/verify/");
  const fay = app.client();
  await signUp(fay, "fay@example.com");
  const fayLink = linkIn(await smtp.nextMailTo("fay@example.com"), "/email/verify/");

  const token = pathOf(eveLink).split("/").pop() as string;
  expect((await eve.get(`/email/verify/${token.slice(0, -2)}xy`)).status).toBe(400);
  // A verification token is not a reset token, nor the reverse.
  expect((await eve.get(`/password/reset/${token}`)).status).toBe(400);

  // Fay opens Eve's link while logged in: Eve is verified, Fay is not, Fay's session is kept.
  const faySession = sessionIdOf(fay);
  expect((await fay.get(pathOf(eveLink))).status).toBe(200);
  expect(sessionIdOf(fay)).toBe(faySession);
  expect(status((await fay.get("/account")).body)).toBe("not verified");
  // The first proof of Eve's address, from a browser not logged in to her account, ended every
  // session of hers (account pre-hijacking: test/security/pre-hijacking.test.ts).
  expect((await eve.get("/account")).status).toBe(303);
  await logIn(eve, "eve@example.com");
  expect(status((await eve.get("/account")).body)).toBe("verified");

  await app.pool.query("update user_tokens set expires_at = now() - interval '1 second'");
  expect((await fay.get(pathOf(fayLink))).status).toBe(400);
  expect(status((await fay.get("/account")).body)).toBe("not verified");
});

test("two opens of one link at once: exactly one uses it", async () => {
  const { app, smtp } = await appWithSmtp();
  await signUp(app.client(), "gus@example.com");
  const link = linkIn(await smtp.nextMailTo("gus@example.com"), "/email/verify/");
  const replies = await Promise.all([
    app.client().get(pathOf(link)),
    app.client().get(pathOf(link)),
  ]);
  expect(replies.map((r) => r.status).sort()).toEqual([200, 400]);
});

test("a new token replaces the user's older one of its purpose; expired ones are left to the maintenance runner", async () => {
  const { app, smtp } = await appWithSmtp();
  await signUp(app.client(), "hal@example.com");
  await smtp.nextMailTo("hal@example.com");
  await app.pool.query("update user_tokens set expires_at = now() - interval '1 second'");
  await makeUser(app.pool, "ivy@example.com");
  const client = app.client();
  await client.get("/password/forgot");
  for (let i = 0; i < 2; i++) {
    await client.post("/password/forgot", { email: "ivy@example.com" });
    await smtp.nextMailTo("ivy@example.com");
  }
  const purposes = async () =>
    (await app.pool.query<{ purpose: string }>("select purpose from user_tokens order by purpose"))
      .rows;
  // Issuing a token deletes nothing of anyone else's (no unbounded DELETE under a request).
  expect(await purposes()).toEqual([{ purpose: "reset" }, { purpose: "verify" }]);

  const runner = startMaintenance({
    connection: sharedMaintenanceConnection(app.pool),
    tasks: [expiredTokensTask()],
    logger: app.logs.logger,
    schedule: false,
  });
  expect((await runner.runNow()).tasks).toMatchObject([{ name: "tokens", rows: 1 }]);
  await runner.stop();
  expect(await purposes()).toEqual([{ purpose: "reset" }]);
});

describe("REQUIRE_EMAIL_VERIFICATION=true", () => {
  test("private pages wait for verification; the account page, resend, change of address and logout do not", async () => {
    const { app, smtp } = await appWithSmtp({ REQUIRE_EMAIL_VERIFICATION: "true" });
    const client = app.client();
    await signUp(client, "jon@example.com");
    const link = linkIn(await smtp.nextMailTo("jon@example.com"), "/email/verify/");

    expect((await client.get("/account")).status).toBe(200);
    expect((await client.get("/account/email")).status).toBe(200);
    const waiting = await client.post(PROBE_WRITE);
    expect(waiting.status).toBe(303);
    expect(waiting.location).toBe("/account");
    const page = await client.get("/account");
    expect(page.body).toContain("Confirm your email address first");
    expect(page.body).not.toContain(PROBE_WRITTEN);
    expect((await client.postJson(PROBE_WRITE, {})).status).toBe(403);
    await client.get("/account");
    expect((await client.post("/account/email/resend")).status).toBe(303);

    await client.get(pathOf(linkIn(await smtp.nextMailTo("jon@example.com"), "/email/verify/")));
    await client.get("/account");
    const saved = await client.post(PROBE_WRITE);
    expect(saved.status).toBe(303);
    expect((await client.get("/account")).body).toContain(PROBE_WRITTEN);
    expect((await client.get(pathOf(link))).status).toBe(400);
    await client.get("/account");
    expect((await client.post("/logout")).status).toBe(303);
  });

  test("off by default: an unverified user reaches every private page", async () => {
    const { app } = await appWithSmtp();
    const client = app.client();
    await signUp(client, "kim@example.com");
    await client.get("/account");
    const saved = await client.post(PROBE_WRITE);
    expect((await client.get("/account")).body).toContain(PROBE_WRITTEN);
    expect(saved.status).toBe(303);
  });
});
