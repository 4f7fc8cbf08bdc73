import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, logIn, makeUser, sessionIdOf } from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";
import { addSessions } from "../helpers/many-sessions.js";

const rowsIn = (body: string) => body.match(/<td class="device">/g)?.length ?? 0;
/** The store keys of the sessions a page offers to revoke, in the page's order. */
const keysIn = (body: string) =>
  [...body.matchAll(/name="key" value="([0-9a-f]{64})"/g)].map((m) => m[1] as string);
/** The key test/helpers/many-sessions.ts gives a user's i-th seeded session (i-th most recent). */
const seededKey = (userId: string, i: number) =>
  createHash("sha256").update(`seeded-${userId}-${i}`).digest("hex");

// Real browsers' user agents: the page names only what a parser recognises.
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_IOS =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const CHROME_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36";
const EDGE_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0";

describe("SESSION_MAX_PER_USER: a login beyond it ends the least recently used sessions", () => {
  test("the oldest-seen go, the active ones stay, and the trail says so", async () => {
    const app = await startTestApp({ config: { sessionMaxPerUser: 3 } });
    await makeUser(app.pool, "ann@example.com");
    const browsers = [];
    for (const userAgent of [FIREFOX_LINUX, SAFARI_IOS, CHROME_WINDOWS]) {
      const browser = app.client({ "user-agent": userAgent });
      await logIn(browser, "ann@example.com", { remember: true });
      browsers.push(browser);
    }
    const [oldLaptop, phone, work] = browsers as [
      (typeof browsers)[0],
      (typeof browsers)[0],
      (typeof browsers)[0],
    ];
    // Last seen: the old laptop a week ago, the phone yesterday, work now.
    const ago = async (browser: typeof oldLaptop, interval: string) =>
      app.pool.query(`update session set expire = expire - $2::interval where sid = $1`, [
        hashStoreKey(sessionIdOf(browser) as string),
        interval,
      ]);
    await ago(oldLaptop, "7 days");
    await ago(phone, "1 day");

    const tablet = app.client({ "user-agent": EDGE_WINDOWS });
    await logIn(tablet, "ann@example.com", { remember: true });

    // Four logins, three kept: the one seen longest ago is logged out.
    expect((await oldLaptop.get("/account")).location).toBe("/login?next=%2Faccount&expired=1");
    for (const browser of [phone, work, tablet]) {
      expect((await browser.get("/account")).status).toBe(200);
    }
    type Json = { sessions: Array<{ userAgent: string }>; moreSessions: boolean };
    const listed = jsonOf<Json>(await tablet.getJson("/account"));
    expect(listed.moreSessions).toBe(false);
    expect(listed.sessions.map((s) => s.userAgent)).toEqual([
      EDGE_WINDOWS,
      CHROME_WINDOWS,
      SAFARI_IOS,
    ]);

    const security = await tablet.get("/account/security");
    expect(security.body).toContain(
      "Ended the least recently used sessions (too many at once) on signing in from Microsoft Edge on Windows",
    );
    expect(
      security.body.indexOf("Signed in with a password from Microsoft Edge on Windows"),
    ).toBeLessThan(security.body.indexOf("Ended the least recently used sessions"));
  });

  test("at the limit, every login ends exactly one; under it, none", async () => {
    const app = await startTestApp({ config: { sessionMaxPerUser: 5 } });
    const { user } = await loggedInClient(app, "bob@example.com");
    await addSessions(app.pool, user.id, 3);
    const count = async () =>
      Number(
        (
          await app.pool.query(
            "select count(*) from session where sess -> 'passport' ->> 'user' = $1",
            [user.id],
          )
        ).rows[0].count,
      );
    expect(await count()).toBe(4);
    await logIn(app.client(), "bob@example.com");
    expect(await count()).toBe(5);
    for (let i = 0; i < 3; i++) await logIn(app.client(), "bob@example.com");
    expect(await count()).toBe(5);
    const { rows } = await app.pool.query(
      "select count(*)::int as n from security_events where kind = 'sessions_over_limit_ended'",
    );
    expect(rows[0].n).toBe(3);
  });
});

describe("your sessions, however many", () => {
  test("sessions and devices pages through 1,000, 50 a page, each under 100 KB; /account's JSON has the newest 20", async () => {
    const app = await startTestApp();
    const { client: browser, user } = await loggedInClient(app, "cat@example.com", {
      headers: { "user-agent": FIREFOX_LINUX },
    });
    await addSessions(app.pool, user.id, 1_000);

    // The account page lists none of them: they are under "Sessions and devices".
    const account = await browser.get("/account");
    expect(account.status).toBe(200);
    expect(rowsIn(account.body)).toBe(0);
    expect(account.body).toContain('<a href="/account/sessions">Sessions and devices</a>');
    type Json = { sessions: unknown[]; moreSessions: boolean };
    const json = jsonOf<Json>(await browser.getJson("/account"));
    expect(json.sessions).toHaveLength(20);
    expect(json.moreSessions).toBe(true);

    const first = await browser.get("/account/sessions");
    expect(first.status).toBe(200);
    expect(Buffer.byteLength(first.body)).toBeLessThan(100_000);
    expect(rowsIn(first.body)).toBe(50);
    expect(first.body).toContain("Your sessions, page 1");
    // This session first, then the most recently seen.
    expect(first.body).toContain('Firefox on Linux <span class="badge">this session</span>');
    expect(first.body.indexOf("this session</span>")).toBeLessThan(
      first.body.indexOf('name="key"'),
    );
    expect(keysIn(first.body)).toEqual(
      Array.from({ length: 49 }, (_, i) => seededKey(user.id, i + 1)),
    );
    expect(first.body).toContain('<a href="/account/sessions?page=2" rel="next">Older</a>');
    // Every session on exactly one page: this one, then 1,000 others, 50 a page.
    const seen: string[] = [];
    for (let n = 1; n <= 21; n++) {
      const body = (await browser.get(`/account/sessions?page=${n}`)).body;
      seen.push(...keysIn(body));
      expect(body.includes('rel="next"'), `page ${n}`).toBe(n < 21);
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => seededKey(user.id, i + 1)));
    const last = await browser.get("/account/sessions?page=21");
    expect(rowsIn(last.body)).toBe(1);
    expect((await browser.get("/account/sessions?page=99")).location).toBe("/account/sessions");
    expect((await browser.get("/account/sessions?page=-1")).status).toBe(200);
  });

  test("a session revoked from page 2 of all sessions is gone, and you are back on page 2", async () => {
    const app = await startTestApp();
    const { client: browser, user } = await loggedInClient(app, "dan@example.com");
    await addSessions(app.pool, user.id, 60);
    const page = await browser.get("/account/sessions?page=2");
    const key = /name="key" value="([0-9a-f]+)"/.exec(page.body)?.[1] as string;
    const reply = await browser.post("/account/sessions/revoke", { key, page: "2" });
    expect(reply.location).toBe("/account/sessions?page=2");
    const { rows } = await app.pool.query("select 1 from session where sid = $1", [key]);
    expect(rows).toHaveLength(0);
  });
});
