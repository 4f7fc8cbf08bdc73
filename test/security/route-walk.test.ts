import { expect, test } from "vitest";
import { jsonOf } from "../helpers/http-client.js";
import { startAppWithProvider } from "../helpers/oidc-provider.js";
import { type RegisteredRoute, registeredRoutes } from "../helpers/routes.js";

/**
 * Who may use each route, logged out. Every route the app registers (read from Express's own
 * router, so a route added by any feature shows up) must be listed here: a new route fails this
 * test until it is given a class, and the class must agree with the guards declared on it
 * (core/guards.ts) and with what a logged-out visitor gets.
 *
 * - public: anyone; no login guard. A GET answers a page (2xx, or a redirect that is not to the
 *   login page); nothing answers 5xx.
 * - login: the login guard is declared on it: a logged-out GET goes to /login?next=..., a script
 *   gets 401, a form POST goes to the login page.
 * - refused: no login guard, but without the state it needs (a pending second factor, a valid
 *   link, a provider's callback) it refuses: 4xx for a script.
 * Routes of a feature that is removed are simply not registered; their lines here do no harm.
 */
const ROUTES: Record<string, "public" | "login" | "refused"> = {
  "GET /healthz": "public",
  "GET /readyz": "public",
  "GET /static/vendor/simplewebauthn-browser.js": "public",
  "GET /": "public",
  "GET /language": "refused",
  "POST /account/language": "login",
  "GET /register": "public",
  "POST /register": "refused",
  "GET /login": "public",
  "POST /login": "refused",
  "POST /logout": "public",
  "GET /dev/mail": "public",
  "GET /dev/mail/:id": "refused",
  "GET /account/confirm": "login",
  "POST /account/confirm": "login",
  "GET /account/security": "login",
  "POST /account/password": "login",
  "POST /account/delete": "login",
  "GET /password/forgot": "public",
  "POST /password/forgot": "refused",
  "GET /password/reset/:token": "refused",
  "POST /password/reset/:token": "refused",
  "GET /email/verify/:token": "refused",
  "POST /account/email/resend": "login",
  "GET /account/email": "login",
  "POST /account/email": "login",
  "GET /email/change/:token": "login",
  "GET /account": "login",
  "GET /account/sessions": "login",
  "POST /account/sessions/revoke": "login",
  "POST /account/sessions/revoke-others": "login",
  "GET /login/two-factor": "refused",
  "POST /login/two-factor": "refused",
  "GET /account/two-factor/setup": "login",
  "POST /account/two-factor/setup": "login",
  "POST /account/two-factor/recovery-codes": "login",
  "POST /account/two-factor/disable": "login",
  "POST /login/email": "refused",
  "POST /login/email/code": "refused",
  "GET /login/email/:token": "refused",
  "POST /login/email/:token": "refused",
  "POST /login/passkey/options": "public",
  "POST /login/passkey": "refused",
  "POST /login/two-factor/passkey/options": "refused",
  "POST /login/two-factor/passkey": "refused",
  "POST /account/confirm/passkey/options": "login",
  "POST /account/confirm/passkey": "login",
  "POST /account/passkeys/options": "login",
  "POST /account/passkeys": "login",
  "POST /account/passkeys/:id/name": "login",
  "POST /account/passkeys/:id/delete": "login",
  "POST /auth/:provider/start": "public",
  "GET /auth/:provider/callback": "refused",
  "POST /auth/:provider/callback": "refused",
  "POST /account/providers/:provider/link": "login",
  "POST /account/providers/unlink": "login",
  "GET /account/session": "login",
  "POST /account/session/count": "login",
  "POST /account/session/regenerate": "login",
  "POST /account/session/reload": "login",
  "POST /account/session/save": "login",
  "POST /account/session/touch": "login",
  "POST /account/session/destroy": "login",
  // The admin area: a 404 for everyone but an administrator (test/features/admin/access.test.ts).
  "GET /admin": "refused",
  "GET /admin/audit": "refused",
  "GET /admin/users/:id": "refused",
  "POST /admin/users/:id/lock": "refused",
  "POST /admin/users/:id/unlock": "refused",
  "POST /admin/users/:id/sign-out": "refused",
  "POST /admin/users/:id/sessions/revoke": "refused",
  "POST /admin/users/:id/two-factor/disable": "refused",
  "POST /admin/users/:id/verification": "refused",
  "POST /admin/users/:id/delete": "refused",
  "POST /admin/users/:id/impersonate": "refused",
  "POST /admin/impersonation/stop": "refused",
};

const key = (route: RegisteredRoute) => `${route.method} ${route.path}`;
// A value for each parameter: the route's guard answers before anything reads it.
const concrete = (path: string) =>
  path
    .replace(/:token/g, "not-a-token")
    .replace(/:id/g, "1")
    .replace(/:provider/g, "oidc");

test("every route has a class, and the login guard is declared on exactly the 'login' ones", async () => {
  const { app } = await startAppWithProvider();
  const routes = registeredRoutes(app.express);
  const unclassified = routes.map(key).filter((route) => !(route in ROUTES));
  expect(unclassified, "add these to ROUTES in test/security/route-walk.test.ts").toEqual([]);
  for (const route of routes) {
    const guarded = route.guards.includes("user");
    expect(guarded, `${key(route)} is "${ROUTES[key(route)]}"`).toBe(
      ROUTES[key(route)] === "login",
    );
  }
  // The walk sees the app's routes (a broken walk would pass the checks above with none).
  expect(routes.length).toBeGreaterThan(30);
});

test("logged out, each route does what its class says: a page, the login, or a refusal", async () => {
  const { app } = await startAppWithProvider();
  for (const route of registeredRoutes(app.express)) {
    const name = key(route);
    const expected = ROUTES[name];
    const browser = app.client();
    // A logged-out visitor's CSRF token: every POST needs one to reach the route at all.
    const token = jsonOf<{ csrfToken: string }>(await browser.getJson("/login")).csrfToken;
    const path = concrete(route.path);
    const page =
      route.method === "GET" ? await browser.get(path) : await browser.post(path, { _csrf: token });
    const script =
      route.method === "GET"
        ? await browser.getJson(path)
        : await browser.postJson(path, {}, token);
    expect.soft(page.status, `${name}: page`).toBeLessThan(500);
    expect.soft(script.status, `${name}: JSON`).toBeLessThan(500);
    const toLogin = page.status === 303 && (page.location ?? "").startsWith("/login?next=");
    if (expected === "login") {
      expect.soft(toLogin, `${name}: to the login page`).toBe(true);
      expect.soft(script.status, `${name}: JSON`).toBe(401);
    } else {
      expect.soft(toLogin, `${name}: sent a visitor to log in`).toBe(false);
      expect
        .soft(
          script.status === 401 && jsonOf<{ error?: string }>(script).error === "unauthenticated",
          `${name}: JSON asks to log in`,
        )
        .toBe(false);
      if (expected === "refused") {
        expect.soft(script.status, `${name}: refused`).toBeGreaterThanOrEqual(400);
      } else if (route.method === "GET") {
        expect.soft(page.status, `${name}: a page`).toBeLessThan(400);
      }
    }
  }
});
