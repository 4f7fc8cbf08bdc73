import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { makeUser, PASSWORD } from "../helpers/auth.js";
import { linkIn, NEW_DEVICE_SUBJECT, startTestSmtp } from "../helpers/mail.js";
import { rawRequest } from "../helpers/raw-http.js";

/**
 * DNS rebinding: a web page on rebind.attacker.example makes its name point at 127.0.0.1 and
 * reads what the developer's app answers. The browser still sends `Host: rebind.attacker.example`,
 * so outside production the app answers only its own names.
 */

const get = (url: string, path: string, host: string) =>
  rawRequest(url, { path, headers: [["Host", host]] });

test("in development, /dev/mail (reset and verification links) is refused to a Host that is not this app's", async () => {
  const app = await startTestApp({ env: { NODE_ENV: "development" } });
  const port = new URL(app.url).port;
  const owner = app.client();
  await owner.get("/register");
  expect(
    (await owner.post("/register", { email: "dev@example.com", password: PASSWORD })).status,
  ).toBe(303);
  await app.mailer.idle();

  for (const host of [
    "rebind.attacker.example",
    `rebind.attacker.example:${port}`,
    `localhost.attacker.example:${port}`,
    `127.0.0.1.nip.io:${port}`,
  ]) {
    const reply = await get(app.url, "/dev/mail", host);
    expect(reply.status, host).toBe(421);
    expect(reply.body).not.toContain("Confirm your email address");
    expect(reply.body).toContain("This server does not answer for that host name.");
  }
  // Nor any other page: the login form's CSRF cookie, the sign-up form.
  expect((await get(app.url, "/login", "rebind.attacker.example")).status).toBe(421);

  // Its own names: APP_URL's host, localhost, and loopback addresses.
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "127.0.0.2"]) {
    const reply = await get(app.url, "/dev/mail", host);
    expect(reply.status, host).toBe(200);
    expect(reply.body).toContain("Confirm your email address");
  }
});

test("APP_URL's own host name is answered in development", async () => {
  const app = await startTestApp({
    env: { NODE_ENV: "development", APP_URL: "http://starter.test:3000" },
  });
  expect((await get(app.url, "/login", "starter.test:3000")).status).toBe(200);
  expect((await get(app.url, "/login", "other.test:3000")).status).toBe(421);
});

test("production answers whatever Host its proxy sends", async () => {
  const app = await startTestApp({ env: { NODE_ENV: "production" } });
  expect((await get(app.url, "/healthz", "rebind.attacker.example")).status).toBe(200);
  expect((await get(app.url, "/login", "app.internal")).status).toBe(200);
});

/** A GET then a POST of a form, both with `headers` (a forged Host), over raw HTTP. */
async function postFormAs(
  url: string,
  path: string,
  fields: Record<string, string>,
  headers: Array<[string, string]>,
) {
  const page = await rawRequest(url, { path, headers });
  const token = /name="_csrf" value="([^"]*)"/.exec(page.body)?.[1];
  const cookies = page.setCookies.map((cookie) => cookie.split(";")[0]).join("; ");
  return rawRequest(url, {
    method: "POST",
    path,
    headers: [
      ...headers,
      ["Content-Type", "application/x-www-form-urlencoded"],
      ...(cookies ? [["Cookie", cookies] as [string, string]] : []),
    ],
    body: new URLSearchParams({ _csrf: token ?? "", ...fields }).toString(),
  });
}

test("in development, a forged Host reaches neither a mail in the outbox nor the pages that link to it", async () => {
  const app = await startTestApp({ env: { NODE_ENV: "development" } });
  const owner = app.client();
  await owner.get("/password/forgot");
  await owner.post("/password/forgot", { email: "nobody@example.com" });
  await owner.get("/register");
  await owner.post("/register", { email: "dev2@example.com", password: PASSWORD });
  await app.mailer.idle();
  const [mail] = app.mailer.outbox?.list() ?? [];
  expect(mail).toBeDefined();
  const forged: Array<[string, string]> = [["Host", "rebind.attacker.example"]];

  for (const path of [`/dev/mail/${mail?.id}`, "/password/forgot", "/account"]) {
    const reply = await get(app.url, path, "rebind.attacker.example");
    expect(reply.status, path).toBe(421);
    expect(reply.body).not.toContain("/dev/mail");
  }
  const asked = await postFormAs(
    app.url,
    "/password/forgot",
    { email: "dev2@example.com" },
    forged,
  );
  expect(asked.status).toBe(421);
  expect(asked.body).not.toContain("/dev/mail");
});

test("a forged Host or X-Forwarded-Host never changes the links in a mail: they are APP_URL's", async () => {
  const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
  const app = await startTestApp({
    env: {
      NODE_ENV: "production",
      SESSION_SECRET: "a-production-secret-of-at-least-32-chars",
      TRUST_PROXY: "1",
      SMTP_URL: smtp.url,
      APP_URL: "https://app.example",
    },
  });
  await makeUser(app.pool, "eve-target@example.com");

  const forged: Array<[string, string]> = [
    ["Host", "attacker.example"],
    ["X-Forwarded-Host", "attacker.example"],
    ["X-Forwarded-Proto", "https"],
  ];
  const asked = await postFormAs(
    app.url,
    "/password/forgot",
    { email: "eve-target@example.com" },
    forged,
  );
  expect(asked.status).toBe(200);
  const mail = await smtp.nextMailTo("eve-target@example.com");
  expect(mail.text).not.toContain("attacker.example");
  expect(mail.html).not.toContain("attacker.example");
  expect(linkIn(mail, "/password/reset").startsWith("https://app.example/password/reset")).toBe(
    true,
  );
});
