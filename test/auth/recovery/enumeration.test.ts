import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { makeUser } from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { startTestSmtp } from "../../helpers/mail.js";

/** The page with its one-time parts (the CSRF token) blanked, to compare two answers. */
const comparable = (body: string) => body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf"');

async function ask(client: HttpClient, email: string) {
  await client.get("/password/forgot");
  return client.post("/password/forgot", { email });
}

async function limitPoints(app: { pool: import("pg").Pool }) {
  const { rows } = await app.pool.query<{ key: string; points: number }>(
    "select key, points from rate_limits order by key",
  );
  return rows.map((row) => ({ counter: row.key.split(":")[0], points: row.points }));
}

test("forgot password: an unknown address gets the same page and status, and the request does the same work", async () => {
  const smtp = await startTestSmtp();
  const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  await makeUser(app.pool, "ann@example.com");

  const before = app.mailer.queued;
  const known = await ask(app.client(), "ann@example.com");
  const afterKnown = app.mailer.queued;
  const knownPoints = await limitPoints(app);
  await app.pool.query("delete from rate_limits");

  const unknown = await ask(app.client(), "nobody@example.com");
  const afterUnknown = app.mailer.queued;
  const unknownPoints = await limitPoints(app);

  expect(unknown.status).toBe(known.status);
  expect(known.status).toBe(200);
  expect(comparable(unknown.body)).toBe(comparable(known.body));
  expect(known.body).toContain("If an account exists for that address, we sent a link");
  expect(unknown.headers.get("cache-control")).toBe(known.headers.get("cache-control"));

  // Same work in the request: one point on each mail limit, one mail job queued; whether
  // there is an account is decided in the job, after the answer.
  expect(afterKnown - before).toBe(1);
  expect(afterUnknown - afterKnown).toBe(1);
  expect(knownPoints).toEqual([
    { counter: "mail_account", points: 1 },
    { counter: "mail_address", points: 1 },
  ]);
  expect(unknownPoints).toEqual(knownPoints);

  await app.mailer.idle();
  expect(smtp.mails.map((mail) => mail.to)).toEqual([["ann@example.com"]]);
});

test("forgot password: the limit per address answers 429 with Retry-After, for an unknown address exactly as for a known one", async () => {
  const smtp = await startTestSmtp();
  const app = await startTestApp({
    env: { SMTP_URL: smtp.url },
    loginLimits: { mailsPerAddress: 2, mailsPerAccount: 2 },
  });
  await makeUser(app.pool, "bob@example.com");

  for (const email of ["bob@example.com", "nobody@example.com"]) {
    const client = app.client();
    expect((await ask(client, email)).status).toBe(200);
    expect((await ask(client, email.toUpperCase())).status).toBe(200);
    const refused = await ask(client, email);
    expect(refused.status, email).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body).toContain("Too many reset requests");
  }
  await app.mailer.idle();
  // No mail bombing: two mails reached the known address, none the unknown one.
  expect(smtp.mailsTo("bob@example.com")).toHaveLength(2);
  expect(smtp.mailsTo("nobody@example.com")).toHaveLength(0);
});

test("a form with a bad address says so beside the field and sends nothing", async () => {
  const app = await startTestApp();
  const reply = await ask(app.client(), "not an address");
  expect(reply.status).toBe(400);
  expect(reply.body).toContain('id="email-error"');
  expect(app.mailer.queued).toBe(0);
});
