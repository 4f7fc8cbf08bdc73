import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { logIn, makeUser } from "../helpers/auth.js";
import { recordStatements } from "../helpers/statements.js";

// What a page costs the database, counted on the real one (embedded, or PostgreSQL in CI's
// second pass): every statement through the app's Pool, the session store's included.
const writesSession = (sql: string) => /^(insert into|update|delete from) "?session"?\b/i.test(sql);

test("a logged-in page view reads the session and the user, and writes nothing", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "ann@example.com");
  const browser = app.client();
  const statements = recordStatements(app.pool);
  await logIn(browser, "ann@example.com");

  // Home: the session and its user, nothing else.
  const home = await statements.during(() => browser.get("/"));
  expect(home).toHaveLength(2);
  expect(home[0]).toMatch(/^SELECT sess FROM "session"/);
  expect(home[1]).toMatch(/^select \* from users where id/);

  // The account page: the same two, and the features' panels (no sessions listed there).
  const account = await statements.during(() => browser.get("/account"));
  expect(account.length).toBeLessThanOrEqual(4);
  expect(account.filter((sql) => /select expire from session/i.test(sql))).toEqual([]);

  // Sessions and devices: the same two, then one for "your sessions" (with the count and this
  // session's store expiry): no separate `select expire`.
  const sessions = await statements.during(() => browser.get("/account/sessions"));
  expect(sessions.length).toBeLessThanOrEqual(3);
  expect(sessions.filter((sql) => /select expire from session/i.test(sql))).toEqual([]);

  // Viewed again within touchAfter (a minute), neither writes the session; nothing else does either.
  for (const path of ["/", "/account", "/account", "/", "/account/sessions"]) {
    const sql = await statements.during(() => browser.get(path));
    expect(sql.filter(writesSession), path).toEqual([]);
    expect(
      sql.filter((s) => /^(insert|update|delete)/i.test(s)),
      path,
    ).toEqual([]);
  }
  statements.stop();
});

test("a login writes its session row once", async () => {
  const app = await startTestApp();
  await makeUser(app.pool, "bob@example.com");
  const browser = app.client();
  await browser.get("/login");
  const statements = recordStatements(app.pool);
  await logIn(browser, "bob@example.com", { remember: true });
  const writes = statements.all().filter((sql) => /^(insert into|update) "?session"?\b/i.test(sql));
  expect(writes).toHaveLength(1);
  statements.stop();

  // ...with everything in it the first page needs, so that page writes nothing either.
  const first = recordStatements(app.pool);
  expect((await browser.get("/account")).status).toBe(200);
  expect(first.all().filter(writesSession)).toEqual([]);
  first.stop();
});
