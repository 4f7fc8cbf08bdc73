import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import {
  loggedInClient,
  logIn,
  makeUser,
  PASSWORD,
  sessionIdOf,
  sessionRow,
  submitLogin,
} from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { linkIn, NEW_DEVICE_SUBJECT, pathOf, startTestSmtp } from "../../helpers/mail.js";

async function appWithSmtp(loginLimits = {}) {
  // Logging in from new test browsers also mails sign-in notices: not this story's mails.
  const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
  const app = await startTestApp({ env: { SMTP_URL: smtp.url }, loginLimits });
  return { app, smtp };
}

async function askToChange(client: HttpClient, newEmail: string, password = PASSWORD) {
  expect((await client.get("/account/email")).status).toBe(200);
  return client.post("/account/email", { new_email: newEmail, current_password: password });
}

const flashOf = (body: string) => /class="flash [a-z]+" role="status">([^<]*)</.exec(body)?.[1];

test("change of address: a link to the new address, a notice to the old one; the address changes only when the link is opened, on a new session ID", async () => {
  const { app, smtp } = await appWithSmtp();
  const { client } = await loggedInClient(app, "ann@example.com");

  const asked = await askToChange(client, "ann@new.example");
  expect(asked.status).toBe(303);
  expect(flashOf((await client.get("/account")).body)).toBe(
    "We sent a link to ann@new.example. Your address changes when you open it.",
  );

  const confirm = await smtp.nextMailTo("ann@new.example");
  expect(confirm.subject).toBe("Confirm your new email address");
  const notice = await smtp.nextMailTo("ann@example.com");
  expect(notice.subject).toBe("A change of your email address was requested");
  expect(notice.text).toContain("ann@new.example");
  expect(notice.text).toContain("If this wasn't you");

  // Not yet: the old address still logs in.
  await logIn(app.client(), "ann@example.com");
  expect((await submitLogin(app.client(), "ann@new.example")).status).toBe(401);

  const before = sessionIdOf(client) as string;
  const opened = await client.get(pathOf(linkIn(confirm, "/email/change/")));
  expect(opened.status).toBe(303);
  expect(opened.location).toBe("/account");
  expect(sessionIdOf(client)).not.toBe(before);
  expect(await sessionRow(app.pool, before)).toBeUndefined();
  const page = await client.get("/account");
  expect(flashOf(page.body)).toBe("Your email address is now ann@new.example.");
  expect(page.body).toContain('data-testid="email-status">verified<');

  await logIn(app.client(), "ann@new.example");
  expect((await submitLogin(app.client(), "ann@example.com")).status).toBe(401);
});

test("the current password is required, and counted by the current-password limit", async () => {
  const { app, smtp } = await appWithSmtp({ currentPasswordPerUser: 2 });
  const { client } = await loggedInClient(app, "bob@example.com");
  const wrong = await askToChange(client, "bob@new.example", "not my password");
  expect(wrong.status).toBe(400);
  expect(wrong.body).toContain("That is not your current password.");
  expect((await askToChange(client, "bob@new.example", "still not it")).status).toBe(400);
  const refused = await askToChange(client, "bob@new.example");
  expect(refused.status).toBe(429);
  expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
  await app.mailer.idle();
  expect(smtp.mails).toHaveLength(0);
});

test("an address another account has: the same answer as a free one; its owner is told by mail, nothing changes", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "taken@example.com");
  const { client } = await loggedInClient(app, "cat@example.com");

  const free = await askToChange(client, "free@example.com");
  const freeFlash = flashOf((await client.get("/account")).body);
  const taken = await askToChange(client, "taken@example.com");
  const takenFlash = flashOf((await client.get("/account")).body);
  expect(taken.status).toBe(free.status);
  expect(taken.location).toBe(free.location);
  expect(takenFlash).toBe(freeFlash?.replace("free@example.com", "taken@example.com"));

  const toOwner = await smtp.nextMailTo("taken@example.com");
  expect(toOwner.subject).toBe("Your address was offered for another account");
  expect(toOwner.text).not.toContain("/email/change/");
  await logIn(app.client(), "taken@example.com");
  await logIn(app.client(), "cat@example.com");
});

test("another user's confirm link does nothing to either account, and stays usable by its owner", async () => {
  const { app, smtp } = await appWithSmtp();
  const { client: dan } = await loggedInClient(app, "dan@example.com");
  const { client: eve } = await loggedInClient(app, "eve@example.com");
  await askToChange(dan, "dan@new.example");
  const link = linkIn(await smtp.nextMailTo("dan@new.example"), "/email/change/");

  expect((await eve.get(pathOf(link))).status).toBe(400);
  await logIn(app.client(), "eve@example.com");
  await logIn(app.client(), "dan@example.com");
  // Not logged in: log in first, then back to the link.
  const anonymous = await app.client().get(pathOf(link));
  expect(anonymous.status).toBe(303);
  expect(anonymous.location).toMatch(/^\/login\?next=/);

  expect((await dan.get(pathOf(link))).status).toBe(303);
  await logIn(app.client(), "dan@new.example");
});

test("used, expired, older and tampered confirm links do nothing; two opens at once: one wins", async () => {
  const { app, smtp } = await appWithSmtp({ mailsPerAccount: 10, mailsPerAddress: 10 });
  const { client } = await loggedInClient(app, "fay@example.com");
  await askToChange(client, "fay1@new.example");
  const older = linkIn(await smtp.nextMailTo("fay1@new.example"), "/email/change/");
  await askToChange(client, "fay2@new.example");
  const newer = linkIn(await smtp.nextMailTo("fay2@new.example"), "/email/change/");
  expect((await client.get(pathOf(older))).status).toBe(400);
  expect((await client.get(`${pathOf(newer).slice(0, -3)}abc`)).status).toBe(400);

  const replies = await Promise.all([client.get(pathOf(newer)), client.get(pathOf(newer))]);
  expect(replies.map((r) => r.status).sort()).toEqual([303, 400]);
  await logIn(app.client(), "fay2@new.example");

  const { client: gus } = await loggedInClient(app, "gus@example.com");
  await askToChange(gus, "gus@new.example");
  const expiring = linkIn(await smtp.nextMailTo("gus@new.example"), "/email/change/");
  await app.pool.query("update user_tokens set expires_at = now() - interval '1 second'");
  expect((await gus.get(pathOf(expiring))).status).toBe(400);
  await logIn(app.client(), "gus@example.com");
});

test("a change of address makes reset links sent to the old address stop working", async () => {
  const { app, smtp } = await appWithSmtp();
  const { client } = await loggedInClient(app, "hal@example.com");
  const visitor = app.client();
  await visitor.get("/password/forgot");
  await visitor.post("/password/forgot", { email: "hal@example.com" });
  const reset = linkIn(await smtp.nextMailTo("hal@example.com"), "/password/reset/");
  await askToChange(client, "hal@new.example");
  await client.get(pathOf(linkIn(await smtp.nextMailTo("hal@new.example"), "/email/change/")));
  expect((await visitor.get(pathOf(reset))).status).toBe(400);
});

test("changing to the address you have is refused beside the field", async () => {
  const { app } = await appWithSmtp();
  const { client } = await loggedInClient(app, "ivy@example.com");
  const same = await askToChange(client, "IVY@example.com");
  expect(same.status).toBe(400);
  expect(same.body).toContain("That is already your address.");
});
