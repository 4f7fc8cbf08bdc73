import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { PASSWORD } from "../helpers/auth.js";
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
