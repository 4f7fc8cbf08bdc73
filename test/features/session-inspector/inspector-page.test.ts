import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, sessionIdOf, sessionRow } from "../../helpers/auth.js";
import { jsonOf } from "../../helpers/http-client.js";

interface Inspector {
  id: string;
  cookie: {
    name: string;
    path: string;
    domain: string;
    httpOnly: boolean;
    secure: boolean;
    sameSite: string;
    maxAge: number | null;
    originalMaxAge: number | null;
    expires: string | null;
  };
  storeExpiry: string | null;
  createdAt: string | null;
  absoluteEnd: string | null;
  counter: number;
}

interface InspectorJson {
  session: Inspector;
}

const DAY_MS = 24 * 3600 * 1000;

const counterOf = (body: string) =>
  Number(/<strong data-testid="counter">(\d+)<\/strong>/.exec(body)?.[1] ?? Number.NaN);

test("the session inspector shows this session's ID (shortened), cookie and lifetimes", async () => {
  const app = await startTestApp();
  const loggedInAt = Date.now();
  const { client: browser } = await loggedInClient(app, "ann@example.com", {
    remember: true,
    headers: { "user-agent": "Ann's laptop" },
  });
  const id = sessionIdOf(browser) as string;

  const page = await browser.get("/account/session");
  expect(page.body).toContain(`<code data-testid="session-id">${id.slice(0, 8)}…</code>`);
  expect(page.body).not.toContain(id);
  expect(page.body).toContain("<code>sid</code>; Path=/; Domain: (this host only)");
  expect(page.body).toContain("HttpOnly: true · Secure: false · SameSite: lax");

  const { session } = jsonOf<InspectorJson>(await browser.getJson("/account/session"));
  expect(JSON.stringify(session)).not.toContain(id);
  expect(session.cookie).toMatchObject({
    name: "sid",
    path: "/",
    domain: "(this host only)",
    httpOnly: true,
    secure: false,
    sameSite: "lax",
  });
  // 30 days, give or take the millisecond Cookie#maxAge's setter may lose between two clock reads.
  expect(Math.abs((session.cookie.originalMaxAge as number) - 30 * DAY_MS)).toBeLessThan(1_000);
  const expires = Date.parse(session.cookie.expires as string);
  expect(expires - Date.now()).toBeGreaterThan(30 * DAY_MS - 60_000);
  expect(session.cookie.maxAge).toBeGreaterThan(30 * DAY_MS - 60_000);
  // The store keeps it as long as the cookie (remember me).
  expect(Math.abs(Date.parse(session.storeExpiry as string) - expires)).toBeLessThan(60_000);
  const created = Date.parse(session.createdAt as string);
  expect(created).toBeGreaterThanOrEqual(loggedInAt - 1_000);
  expect(created).toBeLessThanOrEqual(Date.now());
  expect(Date.parse(session.absoluteEnd as string)).toBe(created + app.config.sessionMaxLifetimeMs);
});

test("looking at pages changes nothing in the session: the inspector's counter moves only with its button", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "bob@example.com");
  const id = sessionIdOf(browser) as string;
  const stored = async () => (await sessionRow(app.pool, id))?.sess;
  const atLogin = await stored();
  for (const path of ["/account/session", "/", "/account", "/nowhere", "/account/session"]) {
    await browser.get(path);
  }
  expect(counterOf((await browser.get("/account/session")).body)).toBe(0);
  expect(await stored()).toEqual(atLogin);

  // A POST is what changes it.
  expect((await browser.post("/account/session/count")).location).toBe("/account/session");
  expect(counterOf((await browser.get("/account/session")).body)).toBe(1);
  expect((await stored())?.counter).toBe(1);
  const json = jsonOf<InspectorJson>(await browser.getJson("/account/session"));
  expect(json.session.counter).toBe(1);
});
