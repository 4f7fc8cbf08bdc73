import type { Express } from "express";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { describe, expect, test } from "vitest";
import { startHarness } from "../helpers/session-harness.js";
import { implementations } from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";

// The app's real client of the session: Passport 0.7 (login regenerates the session, logout
// regenerates it again). The same flow must touch the store the same way under both middlewares.

interface TestUser {
  id: string;
}

// The app may declare its own Express.User; this test's users only carry an id.
const asUser = (id: string) => ({ id }) as unknown as Express.User;

function passportApp(app: Express) {
  const auth = new passport.Passport();
  auth.use(
    new LocalStrategy((username, password, done) =>
      password === "secret" ? done(null, asUser(username)) : done(null, false),
    ),
  );
  auth.serializeUser((user, done) => done(null, (user as unknown as TestUser).id));
  auth.deserializeUser((id: string, done) => done(null, asUser(id)));
  app.use(auth.session());

  // The login form posts here (credentials in the query string for this test client).
  app.get(
    "/login",
    auth.authenticate("local", { failureRedirect: "/login-failed" }),
    (_req, res) => {
      res.redirect("/me");
    },
  );
  app.get("/me", (req, res) => {
    res.json({ user: (req.user as unknown as TestUser | undefined)?.id ?? null });
  });
  app.get("/logout", (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.redirect("/me")));
  });
}

describe.each(implementations)("%s: a Passport login", (_name, impl) => {
  test("login gives a new session ID holding the user; logout ends it", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store }, routes: passportApp });
    const browser = h.browser();

    // An anonymous visitor with a session (e.g. a cart).
    await browser.get("/write");
    const anonymous = String(browser.sid);
    rec.reset();

    const login = await browser.get("/login?username=ada&password=secret");
    expect(login.status).toBe(302);
    expect(login.headers.location).toBe("/me");
    const loggedIn = String(browser.sid);
    expect(loggedIn).not.toBe(anonymous);
    expect(rec.calls.map((c) => [c.method, c.sid])).toEqual([
      ["get", anonymous],
      ["destroy", anonymous],
      ["set", loggedIn],
      ["set", loggedIn],
    ]);
    expect(await rec.peek(anonymous)).toBeNull();
    expect((await rec.peek(loggedIn))?.passport).toEqual({ user: "ada" });
    expect((await browser.get("/me")).json()).toEqual({ user: "ada" });

    rec.reset();
    const logout = await browser.get("/logout");
    expect(logout.status).toBe(302);
    const afterLogout = browser.sid;
    expect(afterLogout).not.toBe(loggedIn);
    expect(await rec.peek(loggedIn)).toBeNull();
    expect((await browser.get("/me")).json()).toEqual({ user: null });
  });

  test("a wrong password keeps the anonymous session and redirects to the failure page", async () => {
    const rec = recordStore(new impl.session.MemoryStore());
    const h = await startHarness({ impl, options: { store: rec.store }, routes: passportApp });
    const browser = h.browser();
    await browser.get("/write");
    const anonymous = browser.sid;
    const res = await browser.get("/login?username=ada&password=nope");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/login-failed");
    expect(browser.sid).toBe(anonymous);
    expect((await browser.get("/read")).json().views).toBe(1);
  });
});
