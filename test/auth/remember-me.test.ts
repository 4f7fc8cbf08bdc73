import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import {
  loggedInClient,
  logIn,
  makeUser,
  sessionIdOf,
  sessionRow,
  setCookieFor,
} from "../helpers/auth.js";

const DAY_S = 24 * 3600;

function expiresOf(setCookie: string): number | undefined {
  const match = /;\s*Expires=([^;]+)/i.exec(setCookie);
  return match?.[1] === undefined ? undefined : Date.parse(match[1]);
}

test("without 'remember me' the cookie ends with the browser, and the store ends the session after the idle timeout", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client();
  const reply = await logIn(browser, "ann@example.com");

  const cookie = setCookieFor(reply, "sid") as string;
  expect(cookie).toBeDefined();
  expect(cookie).not.toMatch(/Expires=/i);
  expect(cookie).not.toMatch(/Max-Age=/i);
  expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax$/);

  const row = await sessionRow(app.pool, sessionIdOf(browser) as string);
  const idleS = app.config.sessionIdleTimeoutMs / 1000;
  expect(row?.expiresIn).toBeGreaterThan(idleS - 10);
  expect(row?.expiresIn).toBeLessThanOrEqual(idleS + 1);
});

test("with 'remember me' the cookie and the stored session last 30 days, and each visit pushes that back", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "bob@example.com", { remember: true });
  const id = sessionIdOf(browser) as string;
  const row = await sessionRow(app.pool, id);
  expect(row?.expiresIn).toBeGreaterThan(30 * DAY_S - 60);
  expect(row?.expiresIn).toBeLessThanOrEqual(30 * DAY_S + 1);

  const first = await browser.get("/account");
  expect(first.status).toBe(200);
  const firstExpires = expiresOf(setCookieFor(first, "sid") ?? "");
  expect(firstExpires).toBeDefined();
  expect((firstExpires as number) - Date.now()).toBeGreaterThan((30 * DAY_S - 60) * 1000);
  expect((firstExpires as number) - Date.now()).toBeLessThanOrEqual(30 * DAY_S * 1000 + 1000);

  await new Promise((resolve) => setTimeout(resolve, 1100));
  const second = await browser.get("/account");
  const secondExpires = expiresOf(setCookieFor(second, "sid") ?? "") as number;
  // Rolling: the 30 days count from the last visit.
  expect(secondExpires).toBeGreaterThan(firstExpires as number);
});

test("the login reply sets the cookie with remember-me expiry at once", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "cat@example.com");
  const reply = await logIn(app.client(), "cat@example.com", { remember: true });
  const expires = expiresOf(setCookieFor(reply, "sid") ?? "");
  expect(expires).toBeDefined();
  expect((expires as number) - Date.now()).toBeGreaterThan((30 * DAY_S - 60) * 1000);
});
