import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, sessionIdOf, sessionRow, setCookieFor } from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";
import { jsonOf } from "../../helpers/http-client.js";

const short = (id: string) => `${id.slice(0, 8)}…`;
const flashOf = (body: string) =>
  /<p class="flash info" role="status">([^<]*)<\/p>/.exec(body)?.[1]?.replaceAll("&gt;", ">");
const counterOf = (body: string) =>
  Number(/<strong data-testid="counter">(\d+)<\/strong>/.exec(body)?.[1] ?? Number.NaN);

/** Presses one of the account page's session buttons and follows the redirect. */
async function press(browser: HttpClient, button: string) {
  await browser.get("/account/session");
  const reply = await browser.post(`/account/session/${button}`);
  expect(reply.status, button).toBe(303);
  return reply;
}

test("regenerate(): a new session ID, the old one gone, still logged in with the same counter", async () => {
  const app = await startTestApp();
  const { client: browser, user } = await loggedInClient(app, "ann@example.com");
  await press(browser, "count");
  await press(browser, "count");
  const before = sessionIdOf(browser) as string;
  const oldCookie = browser.cookies.get("sid") as string;

  const reply = await press(browser, "regenerate");
  expect(reply.location).toBe("/account/session");
  expect(reply.setCookies).toHaveLength(1);
  const after = sessionIdOf(browser) as string;
  expect(after).not.toBe(before);
  expect(await sessionRow(app.pool, before)).toBeUndefined();
  expect((await sessionRow(app.pool, after))?.sess.passport).toEqual({ user: user.id });

  const page = await browser.get("/account/session");
  expect(page.status).toBe(200);
  expect(flashOf(page.body)).toBe(
    `Regenerated: session ID ${short(before)} → ${short(after)}; the old one is gone from the store.`,
  );
  // The session's data came along.
  expect(counterOf(page.body)).toBe(2);

  const copy = app.client();
  copy.cookies.set("sid", oldCookie);
  expect((await copy.get("/account")).location).toBe("/login?next=%2Faccount&expired=1");
});

test("regenerate() keeps 'remember me' and does not push back the session's absolute end", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "bob@example.com", { remember: true });
  type Json = {
    session: { createdAt: string; absoluteEnd: string; cookie: { originalMaxAge: number } };
  };
  const before = jsonOf<Json>(await browser.getJson("/account/session")).session;
  await new Promise((resolve) => setTimeout(resolve, 1_100));

  const reply = await press(browser, "regenerate");
  expect(setCookieFor(reply, "sid")).toMatch(/; Expires=/);
  const after = jsonOf<Json>(await browser.getJson("/account/session")).session;
  // (Cookie#maxAge's setter reads the clock twice, as express-session's does: a millisecond may go.)
  expect(Math.abs(after.cookie.originalMaxAge - before.cookie.originalMaxAge)).toBeLessThan(1_000);
  // A new ID is not a new login: the absolute lifetime still counts from the login.
  expect(after.absoluteEnd).toBe(before.absoluteEnd);
});

test("reload(): an unsaved change is dropped, the store's copy comes back", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "cat@example.com");
  for (let i = 0; i < 3; i++) await press(browser, "count");
  await press(browser, "reload");

  const page = await browser.get("/account/session");
  expect(flashOf(page.body)).toBe(
    "Reloaded: an unsaved change (the counter set to 1003) was dropped; the store says 3.",
  );
  expect(counterOf(page.body)).toBe(3);
});

test("save(): written now, with the store's expiry shown", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "dan@example.com");
  await press(browser, "save");
  const page = await browser.get("/account/session");
  const text = flashOf(page.body) ?? "";
  const match = /^Saved to the store now; it expires there at (\S+)\.$/.exec(text);
  expect(match, text).not.toBeNull();
  // The idle deadline: now + the idle timeout (30 minutes by default).
  const expiresIn = Date.parse(match?.[1] as string) - Date.now();
  expect(expiresIn).toBeGreaterThan(app.config.sessionIdleTimeoutMs - 60_000);
  expect(expiresIn).toBeLessThanOrEqual(app.config.sessionIdleTimeoutMs + 1_000);
});

test("touch(): the cookie's countdown restarts (a browser-session cookie has none)", async () => {
  const app = await startTestApp();
  const { client: plain } = await loggedInClient(app, "eve@example.com");
  await press(plain, "touch");
  expect(flashOf((await plain.get("/account")).body)).toBe(
    "Touched: maxAge was none left, now none (originalMaxAge none).",
  );

  const { client: remembered } = await loggedInClient(app, "fay@example.com", { remember: true });
  await press(remembered, "touch");
  expect(flashOf((await remembered.get("/account")).body)).toMatch(
    /^Touched: maxAge was 259\d{4} s left, now 2592000 s \(originalMaxAge 2592000 s\)\.$/,
  );
});

test("destroy(): the session is deleted and you are logged out, with a message saying so", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "gus@example.com");
  const id = sessionIdOf(browser) as string;
  const reply = await press(browser, "destroy");
  expect(reply.location).toBe("/login?destroyed=1");
  expect(reply.setCookies).toHaveLength(1);
  expect(setCookieFor(reply, "sid")).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
  expect(browser.cookies.has("sid")).toBe(false);
  expect(await sessionRow(app.pool, id)).toBeUndefined();

  const login = await browser.get(reply.location as string);
  expect(login.body).toContain("Your session was destroyed. Log in again to continue.");
  const after = await browser.get("/account/session");
  expect(after.status).toBe(303);
  expect(after.body).not.toContain("gus@example.com");
});
