import { type Request, type Response, Router } from "express";
import type pg from "pg";
import { recordEvent } from "../activity/record.js";
import type { SignIns } from "../activity/sign-in.js";
import type { Clock } from "../clock.js";
import { renderAnonymousForm } from "../http/anonymous-form.js";
import { noStore, type Views, wantsJson } from "../http/views.js";
import type { Csrf } from "../security/csrf.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import { type PasswordLimiter, takeAll } from "../security/password-limits.js";
import { tooManyAttempts } from "../security/too-many-attempts.js";
import { startUserSession } from "./login-session.js";
import type { Authenticator } from "./passport.js";
import { hashPassword } from "./passwords.js";
import { clearSessionCookie, type SessionCookie } from "./session-cookie.js";
import { beginSecondFactor } from "./two-factor/pending.js";
import type { TwoFactorStore } from "./two-factor/store.js";
import { createUser, loginAccount } from "./users.js";
import {
  type FieldErrors,
  fieldErrors,
  formValue,
  loginSchema,
  registerSchema,
  safeReturnPath,
} from "./validation.js";

export interface AuthRouteDeps {
  pool: pg.Pool;
  passport: Authenticator;
  views: Views;
  csrf: Csrf;
  limiter: PasswordLimiter;
  devices: DeviceCookies;
  rememberMs: number;
  /** To clear the cookie on logout with the attributes it was set with. */
  sessionCookie: SessionCookie;
  /** After a sign-up (the verification mail). */
  onRegistered(user: Express.User): void;
  twoFactor: TwoFactorStore;
  clock: Clock;
  signIns: SignIns;
}

const INCORRECT = "Email or password is incorrect.";
const TAKEN =
  "This email cannot be used to register. If you already have an account, log in instead.";

const loginNotices: Record<string, string> = {
  expired: "Your session has ended. Log in again to continue.",
  loggedout: "You have been logged out.",
  destroyed: "Your session was destroyed. Log in again to continue.",
  revoked: "That session was ended.",
  reset: "Your password was changed. Log in with the new one.",
  twofactor: "That login took more than 5 minutes. Enter your password again.",
};

export function authRoutes(deps: AuthRouteDeps): Router {
  const { pool, passport, views, csrf, limiter, devices, rememberMs, sessionCookie, clock } = deps;
  const router = Router();

  function renderRegister(req: Request, res: Response, status: number, errors: FieldErrors = {}) {
    renderAnonymousForm(views, csrf, req, res, {
      view: "register",
      status,
      errors,
      locals: { title: "Create an account", values: { email: formValue(req.body, "email") } },
    });
  }

  function renderLogin(req: Request, res: Response, status: number, errors: FieldErrors = {}) {
    const query = req.query as Record<string, unknown>;
    const notice = Object.keys(loginNotices).find((key) => query[key] === "1");
    renderAnonymousForm(views, csrf, req, res, {
      view: "login",
      status,
      errors,
      locals: {
        title: "Log in",
        notice: notice && loginNotices[notice],
        values: {
          email: formValue(req.body, "email"),
          remember: formValue(req.body, "remember") === "on",
          next: safeReturnPath(req.body?.next ?? query.next) ?? "",
        },
      },
    });
  }

  /**
   * The forms need no session (their CSRF token is stateless) but sending them needs the
   * database: while it is down, the 503 page says so at once, rather than a form that fails.
   */
  const databaseAnswers = async () => {
    await pool.query("select 1");
  };

  // The sign-up form. Already logged in: straight to the account page.
  router.get("/register", async (req, res) => {
    if (req.user) return res.redirect(303, "/account");
    await databaseAnswers();
    renderRegister(req, res, 200);
  });

  // Sign up: a new account, logged in at once on a fresh session. Each costs a password hash:
  // limited per address.
  router.post("/register", async (req, res) => {
    const parsed = registerSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderRegister(req, res, 400, fieldErrors(parsed.error));
    const { email, password } = parsed.data;
    const attempt = await limiter.registerByIp.take(req.ip ?? "unknown");
    if (!attempt.allowed) {
      return tooManyAttempts(req, res, views, attempt.retryAfterSeconds, "sign-ups");
    }
    // Hash first, so a taken email answers in the same time as a new one.
    const created = await createUser(pool, email, await hashPassword(password));
    if (created === "taken") return renderRegister(req, res, 409, { email: TAKEN });
    req.log?.info({ userId: created.id }, "user registered");
    deps.onRegistered(created);
    await startUserSession(req, created, null, { authenticatedAt: clock() });
    devices.issue(res, created);
    req.session.flash = { kind: "info", text: "Welcome! Your account is ready." };
    if (wantsJson(req))
      return res.status(201).json({ user: { id: created.id, email: created.email } });
    res.redirect(303, "/account");
  });

  // The login form; ?next= is where to go after, ?expired=1 etc. explain why we are here.
  router.get("/login", async (req, res) => {
    if (req.user) return res.redirect(303, safeReturnPath(req.query.next) ?? "/account");
    await databaseAnswers();
    renderLogin(req, res, 200);
  });

  // Log in. Each attempt is counted before the password is checked, and given back if it was
  // right. A browser holding this account's device cookie (it logged in here before) is limited
  // on its own; any other is limited per address and per account. Unknown email and wrong
  // password answer alike.
  router.post("/login", async (req, res, next) => {
    const parsed = loginSchema.safeParse(req.body ?? {});
    if (!parsed.success) return renderLogin(req, res, 400, fieldErrors(parsed.error));
    const { email, remember } = parsed.data;

    const account = await loginAccount(pool, email);
    const device = devices.deviceFor(req, account.user);
    const attempt = await takeAll(
      device
        ? [[limiter.loginByDevice, device]]
        : [
            [limiter.loginByIp, req.ip ?? "unknown"],
            [limiter.loginByAccount, account.key],
          ],
    );
    if (!attempt.allowed) {
      return tooManyAttempts(req, res, views, attempt.retryAfterSeconds, "login attempts");
    }

    // The strategy reads the body: give it the email as validated (trimmed).
    req.body.email = email;
    passport.authenticate(
      "local",
      { session: false },
      (err: unknown, user: Express.User | false) => {
        (async () => {
          if (err) throw err;
          if (!user) {
            req.log?.info("login failed");
            renderLogin(req, res, 401, { form: INCORRECT });
            // Only for an existing account (guesses are already bounded by the limiter above),
            // and after the answer, so a known address does not answer later than an unknown one.
            if (account.userId === undefined) return;
            return recordEvent(pool, { userId: account.userId, kind: "sign_in_failed", req }).catch(
              (err: unknown) => req.log?.error({ err }, "recording a failed sign-in failed"),
            );
          }
          await attempt.giveBack();
          const next = safeReturnPath(req.body?.next);
          if (await deps.twoFactor.isEnabled(user.id)) {
            // The password was right; the second factor decides (two-factor/login-routes.ts).
            await beginSecondFactor(req, user, { since: clock(), remember, next });
            req.log?.info({ userId: user.id }, "password accepted, second factor pending");
            if (wantsJson(req)) return res.json({ twoFactor: "/login/two-factor" });
            return res.redirect(303, "/login/two-factor");
          }
          await startUserSession(req, user, remember ? rememberMs : null, {
            authenticatedAt: clock(),
          });
          await deps.signIns.signedIn(req, res, user, "password");
          req.log?.info({ userId: user.id }, "user logged in");
          if (wantsJson(req)) return res.json({ user: { id: user.id, email: user.email } });
          res.redirect(303, next ?? "/account");
        })().catch(next);
      },
    )(req, res, next);
  });

  // Log out: the session is deleted from the store and the cookie cleared.
  router.post("/logout", async (req, res) => {
    const hadSession = Boolean((req as { session?: unknown }).session);
    if (req.user) await recordEvent(pool, { userId: req.user.id, kind: "sign_out", req });
    if (hadSession) await req.session.destroy();
    clearSessionCookie(res, sessionCookie);
    noStore(res);
    if (wantsJson(req)) return res.json({ loggedOut: true });
    res.redirect(303, "/login?loggedout=1");
  });

  return router;
}
