import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD, setCookieFor, submitLogin } from "../helpers/auth.js";

const PRODUCTION = {
  NODE_ENV: "production",
  SESSION_SECRET: "a-production-secret-of-at-least-32-chars",
};
const VIA_HTTPS_PROXY = { "x-forwarded-proto": "https" };
const COOKIE = "__Host-sid";

test("production behind a trusted proxy: the session cookie is __Host-sid; Path=/; HttpOnly; Secure; SameSite=Lax", async () => {
  const app = await startTestApp({ env: { ...PRODUCTION, TRUST_PROXY: "1" } });
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client(VIA_HTTPS_PROXY);

  const form = await browser.get("/login");
  // The form's CSRF cookie (stateless: the form starts no session).
  expect(setCookieFor(form, COOKIE)).toBeUndefined();
  expect(setCookieFor(form, "__Host-csrf")).toMatch(
    /^__Host-csrf=[0-9a-f]{64}\.[0-9a-f]{64}; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
  );
  expect(form.headers.get("strict-transport-security")).toMatch(/^max-age=\d{7,}/);
  expect(form.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");

  const reply = await browser.post("/login", { email: "ann@example.com", password: PASSWORD });
  expect(reply.status).toBe(303);
  const value = browser.cookies.get(COOKIE);
  expect(setCookieFor(reply, COOKIE)).toBe(
    `${COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Lax`,
  );
  // The device cookie: this browser has logged in to this account (login limits).
  expect(setCookieFor(reply, "__Host-device")).toMatch(
    /^__Host-device=[^;]+; Max-Age=31536000; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/,
  );

  const account = await browser.get("/account");
  expect(account.status).toBe(200);

  const out = await browser.post("/logout");
  expect(setCookieFor(out, COOKIE)).toBe(
    `${COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax`,
  );
  expect((await browser.get("/account")).status).toBe(303);
});

test("production with a trusted proxy, but a plain-HTTP request: no cookie is sent over it", async () => {
  const app = await startTestApp({ env: { ...PRODUCTION, TRUST_PROXY: "1" } });
  const reply = await app.client({ "x-forwarded-proto": "http" }).get("/login");
  expect(reply.status).toBe(200);
  expect(reply.setCookies).toEqual([]);
});

test("production without a trusted proxy: a forged X-Forwarded-Proto gets no cookie, so no login", async () => {
  const app = await startTestApp({ env: PRODUCTION });
  await makeUser(app.pool, "bob@example.com");
  const browser = app.client(VIA_HTTPS_PROXY);
  const form = await browser.get("/login");
  expect(form.status).toBe(200);
  expect(form.setCookies).toEqual([]);

  const reply = await browser.post("/login", { email: "bob@example.com", password: PASSWORD });
  expect(reply.status).toBe(403);
  expect(reply.setCookies).toEqual([]);
  expect((await browser.get("/account")).status).toBe(303);
});

test("behind the trusted proxy the per-IP limit counts the client's address, which a client cannot forge", async () => {
  const app = await startTestApp({
    env: { ...PRODUCTION, TRUST_PROXY: "1" },
    loginLimits: { perIp: 2, perAccount: 100, windowSeconds: 60 },
  });
  await makeUser(app.pool, "cat@example.com");
  // The proxy appends the address it saw; with one trusted hop, that last entry is the client.
  const attacker = app.client({ ...VIA_HTTPS_PROXY, "x-forwarded-for": "198.51.100.1" });
  for (const email of ["x@example.com", "y@example.com"]) {
    expect((await submitLogin(attacker, email, { password: "wrong" })).status).toBe(401);
  }
  expect((await submitLogin(attacker, "cat@example.com")).status).toBe(429);

  // Prepending made-up addresses changes nothing: the proxy's entry is still last.
  const disguised = app.client({
    ...VIA_HTTPS_PROXY,
    "x-forwarded-for": "10.9.9.9, 198.51.100.1",
  });
  expect((await submitLogin(disguised, "cat@example.com")).status).toBe(429);

  // Someone else behind the same proxy is not locked out, and their sessions show their address.
  const neighbour = app.client({ ...VIA_HTTPS_PROXY, "x-forwarded-for": "198.51.100.2" });
  await logIn(neighbour, "cat@example.com");
  const sessions = await neighbour.get("/account/sessions");
  expect(sessions.body).toContain(`<td data-label="IP">198.51.100.2</td>`);
});
