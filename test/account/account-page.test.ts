import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, sessionIdOf, sessionRow } from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";

interface AccountJson {
  user: { id: string; email: string };
  sessions: Array<{ key: string; userAgent: string; ip: string; current: boolean }>;
  errors: Record<string, string>;
}

test("the account page is private: never cached, and logged-out visitors are sent to log in", async () => {
  const app = await startTestApp();
  const visitor = app.client();
  const away = await visitor.get("/account");
  expect(away.status).toBe(303);
  // No cookie was sent, so nothing "expired": just log in.
  expect(away.location).toBe("/login?next=%2Faccount");
  expect(away.headers.get("cache-control")).toBe("no-store");

  const { client: browser } = await loggedInClient(app, "ann@example.com");
  const page = await browser.get("/account");
  expect(page.status).toBe(200);
  expect(page.headers.get("cache-control")).toBe("no-store");
  const json = await browser.getJson("/account");
  expect(json.headers.get("cache-control")).toBe("no-store");
});

test("sessions and devices lists this session among yours, naming browsers only as a parser does; the account page's JSON has them too", async () => {
  const app = await startTestApp();
  const { client: browser, user } = await loggedInClient(app, "ann@example.com", {
    remember: true,
    headers: { "user-agent": "Ann's laptop" },
  });
  const page = await browser.get("/account/sessions");
  const { user: shown, sessions } = jsonOf<AccountJson>(await browser.getJson("/account"));
  expect(shown).toEqual({ id: user.id, email: "ann@example.com" });
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({ userAgent: "Ann's laptop", ip: "127.0.0.1", current: true });
  // The page names browsers only as a user-agent parser does: this one it does not know.
  expect(page.body).toContain('an unknown browser <span class="badge">this session</span>');
  expect(page.body).not.toContain("Ann&#39;s laptop");
});

test("looking at pages writes nothing to the session", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "bob@example.com");
  const id = sessionIdOf(browser) as string;
  const stored = async () => (await sessionRow(app.pool, id))?.sess;
  const atLogin = await stored();
  for (const path of ["/account", "/", "/account", "/nowhere", "/account/security"]) {
    await browser.get(path);
  }
  expect(await stored()).toEqual(atLogin);
});
