import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { logIn, makeUser, PASSWORD, submitLogin } from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import {
  linkIn,
  NEW_DEVICE_SUBJECT,
  pathOf,
  startTestSmtp,
  type TestSmtp,
} from "../../helpers/mail.js";

const NEW_PASSWORD = "a completely new passphrase";
const SENT = "If an account exists for that address, we sent a link to reset its password.";

async function appWithSmtp() {
  // Logging in from new test browsers also mails sign-in notices: not this story's mails.
  const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
  const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  return { app, smtp };
}

/** What a person does: open the forgot form, type the address, send it. */
async function askForReset(client: HttpClient, email: string) {
  expect((await client.get("/password/forgot")).status).toBe(200);
  return client.post("/password/forgot", { email });
}

async function resetLink(client: HttpClient, smtp: TestSmtp, email: string) {
  expect((await askForReset(client, email)).status).toBe(200);
  return linkIn(await smtp.nextMailTo(email), "/password/reset/");
}

test("forgot → mail → new password: every session ends, the user logs in with the new one, and is told by mail", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "ann@example.com");
  const elsewhere = app.client();
  await logIn(elsewhere, "ann@example.com");

  const visitor = app.client();
  const asked = await askForReset(visitor, "Ann@Example.com");
  expect(asked.status).toBe(200);
  expect(asked.body).toContain(SENT);

  const mail = await smtp.nextMailTo("ann@example.com");
  expect(mail.subject).toBe("Reset your password");
  const link = linkIn(mail, "/password/reset/");
  expect(link.startsWith(`${app.config.appUrl}/password/reset/`)).toBe(true);
  // The link is in the text part and, as plain text, in the HTML part; no remote image.
  expect(mail.html).toContain(`>${link}<`.slice(1, -1));
  expect(mail.html).not.toMatch(/<img/i);
  // 256 random bits, base64url.
  expect(new URL(link).pathname.split("/").pop()).toMatch(/^[A-Za-z0-9_-]{43}$/);

  const form = await visitor.get(pathOf(link));
  expect(form.status).toBe(200);
  expect(form.body).toContain('name="password"');
  // The page's address holds the token: no Referer header carries it elsewhere.
  expect(form.headers.get("referrer-policy")).toBe("no-referrer");
  const done = await visitor.post(pathOf(link), { password: NEW_PASSWORD });
  expect(done.status).toBe(303);
  expect(done.location).toBe("/login?reset=1");
  const login = await visitor.get("/login?reset=1");
  expect(login.body).toContain("Your password was changed. Log in with the new one.");

  // Every session of the user ended; the old password is gone, the new one works.
  expect((await elsewhere.get("/account")).status).toBe(303);
  expect((await submitLogin(app.client(), "ann@example.com")).status).toBe(401);
  await logIn(app.client(), "ann@example.com", { password: NEW_PASSWORD });

  const notice = await smtp.nextMailTo("ann@example.com");
  expect(notice.subject).toBe("Your password was changed");
  expect(notice.text).toContain("If this wasn't you");
});

test("a reused link does nothing the second time", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "bob@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "bob@example.com");
  await visitor.get(pathOf(link));
  expect((await visitor.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(303);

  const again = app.client();
  const form = await again.get(pathOf(link));
  expect(form.status).toBe(400);
  expect(form.body).toContain("This link is invalid");
  await again.get("/password/forgot");
  const reuse = await again.post(pathOf(link), { password: "yet another fine passphrase" });
  expect(reuse.status).toBe(400);
  await logIn(app.client(), "bob@example.com", { password: NEW_PASSWORD });
});

test("an expired link does nothing", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "cat@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "cat@example.com");
  await visitor.get(pathOf(link));
  await app.pool.query("update user_tokens set expires_at = now() - interval '1 second'");
  expect((await visitor.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(400);
  expect((await visitor.get(pathOf(link))).status).toBe(400);
  await logIn(app.client(), "cat@example.com");
});

test("a tampered link does nothing, and the real one still works", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "dan@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "dan@example.com");
  await visitor.get(pathOf(link));
  const token = new URL(link).pathname.split("/").pop() as string;
  const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
  for (const bad of [flipped, token.slice(0, -1), `${token}x`, "x"]) {
    await visitor.get("/password/forgot");
    const reply = await visitor.post(`/password/reset/${bad}`, { password: NEW_PASSWORD });
    expect(reply.status, bad).toBe(400);
  }
  await visitor.get(pathOf(link));
  expect((await visitor.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(303);
});

test("one user's link resets only that user's password", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "eve@example.com");
  await makeUser(app.pool, "fay@example.com");
  const eve = app.client();
  const link = await resetLink(eve, smtp, "eve@example.com");
  await eve.get(pathOf(link));
  expect((await eve.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(303);
  await logIn(app.client(), "fay@example.com");
  expect(
    (await submitLogin(app.client(), "fay@example.com", { password: NEW_PASSWORD })).status,
  ).toBe(401);
});

test("a newer link makes the older one stop working", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "gus@example.com");
  const visitor = app.client();
  const older = await resetLink(visitor, smtp, "gus@example.com");
  const newer = await resetLink(visitor, smtp, "gus@example.com");
  expect(newer).not.toBe(older);
  await visitor.get(pathOf(newer));
  expect((await visitor.post(pathOf(older), { password: NEW_PASSWORD })).status).toBe(400);
  await visitor.get(pathOf(newer));
  expect((await visitor.post(pathOf(newer), { password: NEW_PASSWORD })).status).toBe(303);
});

test("a password change makes a reset link stop working", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "hal@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "hal@example.com");
  const owner = app.client();
  await logIn(owner, "hal@example.com");
  await owner.get("/account");
  const changed = await owner.post("/account/password", {
    current_password: PASSWORD,
    new_password: NEW_PASSWORD,
  });
  expect(changed.status).toBe(303);
  expect((await smtp.nextMailTo("hal@example.com")).subject).toBe("Your password was changed");
  await visitor.get("/password/forgot");
  const reply = await visitor.post(pathOf(link), { password: "an attacker's passphrase here" });
  expect(reply.status).toBe(400);
  await logIn(app.client(), "hal@example.com", { password: NEW_PASSWORD });
});

test("two submits of one link at once: exactly one sets its password", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "ivy@example.com");
  const first = app.client();
  const link = await resetLink(first, smtp, "ivy@example.com");
  const second = app.client();
  await first.get(pathOf(link));
  await second.get(pathOf(link));
  const passwords = ["the first racing passphrase", "the second racing passphrase"];
  const replies = await Promise.all([
    first.post(pathOf(link), { password: passwords[0] as string }),
    second.post(pathOf(link), { password: passwords[1] as string }),
  ]);
  expect(replies.map((r) => r.status).sort()).toEqual([303, 400]);
  const winner = passwords[replies.findIndex((r) => r.status === 303)] as string;
  const loser = passwords.find((p) => p !== winner) as string;
  await logIn(app.client(), "ivy@example.com", { password: winner });
  expect((await submitLogin(app.client(), "ivy@example.com", { password: loser })).status).toBe(
    401,
  );
});

test("a weak new password is refused beside the field, and the link still works after", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "jon@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "jon@example.com");
  await visitor.get(pathOf(link));
  const weak = await visitor.post(pathOf(link), { password: "short" });
  expect(weak.status).toBe(400);
  expect(weak.body).toContain('id="password-error"');
  expect((await visitor.post(pathOf(link), { password: NEW_PASSWORD })).status).toBe(303);
});

test("looking at the forgot and reset forms, and sending them, writes no session row", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "kim@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "kim@example.com");
  await visitor.get(pathOf(link));
  expect(visitor.cookies.has("sid")).toBe(false);
  const { rows } = await app.pool.query("select count(*)::int as n from session");
  expect(rows[0].n).toBe(0);
  // Forms still need their token.
  const forged = await app.client().post(pathOf(link), { _csrf: "forged", password: NEW_PASSWORD });
  expect(forged.status).toBe(403);
  const forgedForgot = await app
    .client()
    .post("/password/forgot", { _csrf: "", email: "kim@example.com" });
  expect(forgedForgot.status).toBe(403);
});

test("only the SHA-256 of a token is stored, and the token never reaches the log", async () => {
  const { app, smtp } = await appWithSmtp();
  await makeUser(app.pool, "lea@example.com");
  const visitor = app.client();
  const link = await resetLink(visitor, smtp, "lea@example.com");
  await visitor.get(pathOf(link));
  const token = new URL(link).pathname.split("/").pop() as string;
  const { rows } = await app.pool.query<{ token_hash: string; purpose: string }>(
    "select token_hash, purpose from user_tokens",
  );
  expect(rows).toHaveLength(1);
  expect(rows[0]?.purpose).toBe("reset");
  expect(rows[0]?.token_hash).not.toContain(token);
  const { createHash } = await import("node:crypto");
  expect(rows[0]?.token_hash).toBe(createHash("sha256").update(token).digest("hex"));
  expect(app.logs.text()).not.toContain(token);
});
