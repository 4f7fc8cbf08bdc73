import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import {
  countSessionRows,
  loggedInClient,
  sessionIdOf,
  sessionRow,
  setCookieFor,
} from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";

test("the session row appears at login and is deleted at logout, with the cookie", async () => {
  const app = await startTestApp();
  expect(await countSessionRows(app.pool)).toBe(0);
  const { client: browser, user } = await loggedInClient(app, "ann@example.com");
  const id = sessionIdOf(browser) as string;
  expect((await sessionRow(app.pool, id))?.sess.passport).toEqual({ user: user.id });
  // Only the logged-in session: the login page's own was replaced, not left behind.
  expect(await countSessionRows(app.pool)).toBe(1);

  await browser.get("/account");
  const reply = await browser.post("/logout");
  expect(reply.status).toBe(303);
  expect(reply.location).toBe("/login?loggedout=1");
  expect(reply.headers.get("cache-control")).toBe("no-store");
  expect(reply.setCookies).toHaveLength(1);
  const cleared = setCookieFor(reply, "sid") ?? "";
  expect(cleared).toMatch(
    /^sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
  );
  expect(browser.cookies.has("sid")).toBe(false);
  expect(await sessionRow(app.pool, id)).toBeUndefined();
  expect(await countSessionRows(app.pool)).toBe(0);

  const login = await browser.get(reply.location as string);
  expect(login.body).toContain("You have been logged out.");
});

test("after logout, the back button shows nothing private: /account redirects, and was never cacheable", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "bob@example.com");
  const account = await browser.get("/account");
  expect(account.status).toBe(200);
  expect(account.headers.get("cache-control")).toBe("no-store");
  const oldCookie = browser.cookies.get("sid") as string;

  await browser.post("/logout");
  const back = await browser.get("/account");
  expect(back.status).toBe(303);
  expect(back.location).toBe("/login?next=%2Faccount");
  expect(back.body).not.toContain("bob@example.com");
  expect(back.headers.get("cache-control")).toBe("no-store");

  // A copy of the old cookie (another tab, a stolen cookie) is worth nothing now.
  const copy = app.client();
  copy.cookies.set("sid", oldCookie);
  const replay = await copy.get("/account");
  expect(replay.status).toBe(303);
  expect(replay.location).toBe("/login?next=%2Faccount&expired=1");
  expect(replay.body).not.toContain("bob@example.com");
});

test("a JSON client logs out with the token in X-CSRF-Token", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "cat@example.com");
  await browser.get("/account");
  const id = sessionIdOf(browser) as string;
  const reply = await browser.postJson("/logout", {});
  expect(reply.status).toBe(200);
  expect(jsonOf(reply)).toEqual({ loggedOut: true });
  expect(await sessionRow(app.pool, id)).toBeUndefined();
  const after = await browser.getJson("/account");
  expect(after.status).toBe(401);
  expect(jsonOf(after)).toEqual({ error: "unauthenticated", message: "Log in first." });
});
