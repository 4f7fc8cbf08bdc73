import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { countSessionRows, loggedInClient, setCookieFor } from "../helpers/auth.js";

test("looking at public pages sets no cookie and writes no session row", async () => {
  const app = await startTestApp();
  const visitor = app.client();
  const visits = [
    await visitor.get("/"),
    await visitor.request("HEAD", "/"),
    await visitor.get("/static/app.css"),
    await visitor.get("/static/local-times.js"),
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

test("looking at the login and sign-up forms writes nothing: 1,000 anonymous GETs, no session row", async () => {
  const app = await startTestApp();
  // A visitor who comes back keeps the token its other tabs have.
  for (const path of ["/login", "/register"]) {
    const visitor = app.client();
    const reply = await visitor.get(path);
    expect(setCookieFor(reply, "sid"), path).toBeUndefined();
    expect(setCookieFor(reply, "csrf"), path).toMatch(/^csrf=[0-9a-f]{64}\.[0-9a-f]{64};/);
    const token = visitor.csrfToken();
    await visitor.get(path);
    expect(visitor.csrfToken(), path).toBe(token);
  }
  // The flood: new visitors each time, as a script would send them (bounded, 20 at once).
  const paths = ["/login", "/register"];
  for (let batch = 0; batch < 50; batch++) {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => app.client().get(paths[i % 2] as string)),
    );
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(setCookieFor(reply, "sid")).toBeUndefined();
    }
  }
  expect(await countSessionRows(app.pool)).toBe(0);
});

test("a logged-in visit to a public page keeps the session without adding rows", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "ann@example.com");
  const home = await browser.get("/");
  expect(home.body).toContain("You are logged in as <strong>ann@example.com</strong>.");
  expect(await countSessionRows(app.pool)).toBe(1);
});
