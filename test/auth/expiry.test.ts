import { expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp } from "../helpers/app.js";
import { logIn, makeUser, PASSWORD, sessionIdOf, sessionRow } from "../helpers/auth.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("an idle session ends: /account sends you to log in with a message, then brings you back", async () => {
  const app = await startTestApp({ config: { sessionIdleTimeoutMs: 2_000 } });
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client();

  // Asked for /account while logged out: the login page, which will bring you back.
  const asked = await browser.get("/account");
  expect(asked.status).toBe(303);
  expect(asked.location).toBe("/login?next=%2Faccount");
  await browser.get(asked.location as string);
  expect(browser.fieldValue("next")).toBe("/account");
  const loggedIn = await browser.post("/login", {
    email: "ann@example.com",
    password: PASSWORD,
    next: browser.fieldValue("next") as string,
  });
  expect(loggedIn.location).toBe("/account");
  expect((await browser.get("/account")).status).toBe(200);

  // Activity within the idle timeout keeps the session alive...
  for (let i = 0; i < 3; i++) {
    await sleep(1_000);
    expect((await browser.get("/account")).status, `visit ${i + 1}`).toBe(200);
  }
  const id = sessionIdOf(browser) as string;

  // ...and a pause longer than it ends it (the store's expiry is rounded up to the second).
  await sleep(3_500);
  const expired = await browser.get("/account?tab=sessions");
  expect(expired.status).toBe(303);
  expect(expired.location).toBe("/login?next=%2Faccount%3Ftab%3Dsessions&expired=1");
  expect(expired.body).not.toContain("ann@example.com");
  const { rows } = await app.pool.query(
    "select 1 from session where sid = $1 and expire >= localtimestamp",
    [hashStoreKey(id)],
  );
  expect(rows).toHaveLength(0);

  const page = await browser.get(expired.location as string);
  expect(page.status).toBe(200);
  expect(page.body).toContain("Your session has ended. Log in again to continue.");
  const next = browser.fieldValue("next");
  expect(next).toBe("/account?tab=sessions");
  const again = await browser.post("/login", {
    email: "ann@example.com",
    password: PASSWORD,
    next: next as string,
  });
  expect(again.status).toBe(303);
  expect(again.location).toBe("/account?tab=sessions");
  expect((await browser.get(again.location as string)).status).toBe(200);
});

test("the absolute lifetime ends a session however active it is, even with 'remember me'", async () => {
  const app = await startTestApp({
    config: { sessionIdleTimeoutMs: 2_000, sessionMaxLifetimeMs: 4_000 },
  });
  await makeUser(app.pool, "bob@example.com");
  const browser = app.client();
  const loggedInAt = Date.now();
  await logIn(browser, "bob@example.com", { remember: true });
  const id = sessionIdOf(browser) as string;

  const seen: Array<{ at: number; status: number; location: string | null }> = [];
  while (Date.now() - loggedInAt < 6_500) {
    const reply = await browser.get("/account");
    seen.push({ at: Date.now() - loggedInAt, status: reply.status, location: reply.location });
    if (reply.status !== 200) break;
    await sleep(500);
  }
  const end = seen.find((visit) => visit.status !== 200);
  expect(end, JSON.stringify(seen)).toBeDefined();
  expect(end?.location).toBe("/login?next=%2Faccount&expired=1");
  // Not before its time: every visit in the first 3.5 s was served.
  expect(seen.filter((visit) => visit.at < 3_500).every((visit) => visit.status === 200)).toBe(
    true,
  );
  expect(end?.at).toBeGreaterThanOrEqual(4_000);
  // The ended session is gone from the store; logging in again starts a new one.
  expect(await sessionRow(app.pool, id)).toBeUndefined();
  await logIn(browser, "bob@example.com");
  expect((await browser.get("/account")).status).toBe(200);
});
