import { expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, logIn, makeUser, sessionIdOf } from "../helpers/auth.js";
import type { HttpClient } from "../helpers/http-client.js";

const EXPIRED = "/login?next=%2Faccount&expired=1";
const flashOf = (body: string) =>
  /<p class="flash info" role="status">([^<]*)<\/p>/.exec(body)?.[1];
const keyOf = (client: HttpClient) => hashStoreKey(sessionIdOf(client) as string);

/** Revoke from the sessions page (a form without `page`): back to its first page. */
async function revoke(browser: HttpClient, key: string) {
  await browser.get("/account/sessions");
  const reply = await browser.post("/account/sessions/revoke", { key });
  expect(reply.status).toBe(303);
  expect(reply.location).toBe("/account/sessions");
  return flashOf((await browser.get("/account/sessions")).body);
}

const FIREFOX_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

test("your sessions lists each device; revoking one logs that device out on its next request", async () => {
  const app = await startTestApp();
  const { client: laptop } = await loggedInClient(app, "ann@example.com", {
    headers: { "user-agent": FIREFOX_WINDOWS },
  });
  const phone = app.client({ "user-agent": SAFARI_IPHONE });
  await logIn(phone, "ann@example.com");

  const page = await laptop.get("/account/sessions");
  expect(page.body).toContain(
    '<td class="device">Firefox on Windows <span class="badge">this session</span></td>',
  );
  expect(page.body).toContain('<td class="device">Safari on iOS</td>');
  expect(page.body).not.toContain("Mozilla/5.0");
  // Only the other session has a revoke button, naming it by its store key.
  expect(page.body).toContain(`<input type="hidden" name="key" value="${keyOf(phone)}">`);
  expect(page.body).not.toContain(`name="key" value="${keyOf(laptop)}"`);
  expect(page.body).toContain("Log out everywhere else");

  expect(await revoke(laptop, keyOf(phone))).toBe(
    "That session was ended: its next request will be logged out.",
  );
  const kicked = await phone.get("/account");
  expect(kicked.status).toBe(303);
  expect(kicked.location).toBe(EXPIRED);
  expect(kicked.body).not.toContain("ann@example.com");

  const after = await laptop.get("/account/sessions");
  expect(after.status).toBe(200);
  expect(after.body).not.toContain("Safari on iOS");
  expect(after.body).not.toContain("Log out everywhere else");
  expect(await revoke(laptop, keyOf(phone))).toBe("That session had already ended.");
});

test("revoking this very session asks you to log out instead; someone else's sessions cannot be revoked", async () => {
  const app = await startTestApp();
  const { client: ann } = await loggedInClient(app, "ann@example.com");
  const { client: mallory } = await loggedInClient(app, "mallory@example.com");

  expect(await revoke(ann, keyOf(ann))).toBe("To end this session, log out.");
  expect((await ann.get("/account")).status).toBe(200);

  // Mallory somehow has Ann's key: it does nothing, and says no more than for a finished session.
  expect(await revoke(mallory, keyOf(ann))).toBe("That session had already ended.");
  expect(await revoke(mallory, "not-a-key' or '1'='1")).toBe("That session had already ended.");
  expect((await ann.get("/account")).status).toBe(200);
});

test("log out everywhere else: every other session of yours ends, yours and other people's stay", async () => {
  const app = await startTestApp();
  const { client: desk } = await loggedInClient(app, "bob@example.com");
  const tablet = app.client();
  const phone = app.client();
  await logIn(tablet, "bob@example.com");
  await logIn(phone, "bob@example.com");
  await makeUser(app.pool, "carol@example.com");
  const carol = app.client();
  await logIn(carol, "carol@example.com");

  await desk.get("/account/sessions");
  const reply = await desk.post("/account/sessions/revoke-others");
  expect(reply.status).toBe(303);
  expect(reply.location).toBe("/account/sessions");
  expect(flashOf((await desk.get("/account/sessions")).body)).toBe(
    "Logged out of 2 other sessions.",
  );

  for (const device of [tablet, phone]) {
    const kicked = await device.get("/account");
    expect(kicked.status).toBe(303);
    expect(kicked.location).toBe(EXPIRED);
  }
  expect((await desk.get("/account")).status).toBe(200);
  expect((await carol.get("/account")).status).toBe(200);
});

test("a browser's self-reported name is never shown as sent: not as markup, not as text", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "dan@example.com", {
    headers: { "user-agent": `"><script>alert(1)</script>` },
  });
  const page = await browser.get("/account/sessions");
  expect(page.body).not.toContain("alert(1)");
  expect(page.body).toMatch(/<td class="device">an unknown browser/);
});

test("when each session logged in and was last seen: relative, with the exact time and ISO in a <time>", async () => {
  const app = await startTestApp();
  const { client: browser } = await loggedInClient(app, "eve@example.com");
  // Eve's session as the store would hold it had she logged in 3 hours ago and left 10 minutes ago.
  const key = keyOf(browser);
  const loggedInAt = Date.now() - 3 * 3600_000;
  const idleMs = app.config.sessionIdleTimeoutMs;
  await app.pool.query(
    `update session set sess = jsonb_set(sess::jsonb, '{client,loggedInAt}', to_jsonb($2::bigint))::json,
       expire = to_timestamp($3) where sid = $1`,
    [key, loggedInAt, (Date.now() - 10 * 60_000 + idleMs) / 1000],
  );
  const other = app.client();
  await logIn(other, "eve@example.com");

  const page = (await other.get("/account/sessions")).body;
  const times = [
    ...page.matchAll(
      /<td data-label="([^"]+)"><time datetime="([^"]+)" title="([^"]+)" data-local="title">([^<]+)<\/time><\/td>/g,
    ),
  ].map(([, column, iso, title, text = ""]) => ({ column, iso, title, text }));
  const eves = times.filter((t) => t.text !== "now" && !/seconds? ago$/.test(t.text));
  expect(eves.map((t) => [t.column, t.text])).toEqual([
    ["Logged in", "3 hours ago"],
    ["Last seen", "10 minutes ago"],
  ]);
  const loggedIn = eves[0];
  expect(loggedIn?.iso).toBe(new Date(loggedInAt).toISOString());
  expect(loggedIn?.title).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M UTC$/);
});
