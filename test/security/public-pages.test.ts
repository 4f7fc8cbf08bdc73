import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { countSessionRows, loggedInClient, sessionIdOf, setCookieFor } from "../helpers/auth.js";

test("looking at public pages sets no cookie and writes no session row", async () => {
  const app = await startTestApp();
  const visitor = app.client();
  const visits = [
    await visitor.get("/"),
    await visitor.request("HEAD", "/"),
    await visitor.get("/static/app.css"),
    await visitor.get("/static/account.js"),
    await visitor.get("/healthz"),
    await visitor.get("/readyz"),
    await visitor.get("/nowhere"),
    await visitor.get("/account"),
    await visitor.getJson("/account"),
  ];
  expect(visits.map((reply) => reply.status)).toEqual([
    200, 200, 200, 200, 200, 200, 404, 303, 401,
  ]);
  for (const reply of visits) expect(reply.setCookies).toEqual([]);
  expect(visitor.cookies.size).toBe(0);
  expect(await countSessionRows(app.pool)).toBe(0);
});

test("a forged POST from another site (no cookie, no token) leaves no row either", async () => {
  const app = await startTestApp();
  const visitor = app.client();
  for (const path of ["/login", "/register", "/logout"]) {
    const reply = await visitor.request("POST", path, { form: { email: "a@b.co", password: "x" } });
    expect(reply.status, path).toBe(403);
    expect(reply.setCookies, path).toEqual([]);
  }
  expect(await countSessionRows(app.pool)).toBe(0);
});

test("the login and sign-up forms do start a session: their CSRF token lives in it", async () => {
  const app = await startTestApp();
  for (const path of ["/login", "/register"]) {
    const visitor = app.client();
    const reply = await visitor.get(path);
    expect(setCookieFor(reply, "sid"), path).toMatch(/^sid=s%3A/);
    expect(visitor.csrfToken(), path).toMatch(/^[0-9a-f]{64}$/);
    // Reloading the form keeps the same session and token.
    const token = visitor.csrfToken();
    const id = sessionIdOf(visitor);
    await visitor.get(path);
    expect(visitor.csrfToken(), path).toBe(token);
    expect(sessionIdOf(visitor), path).toBe(id);
  }
  expect(await countSessionRows(app.pool)).toBe(2);
});

test("a logged-in visit to a public page keeps the session without adding rows", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "ann@example.com");
  const home = await browser.get("/");
  expect(home.body).toContain("You are logged in as <strong>ann@example.com</strong>.");
  expect(await countSessionRows(app.pool)).toBe(1);
});
