import { type Request, type Response, Router } from "express";
import type pg from "pg";
import type { Events } from "../core/events.js";
import { type PagePart, renderParts } from "../core/page-parts.js";
import type { SignIn } from "../core/sign-in.js";
import { invalidForm, showForm, tooManyAttempts } from "../http/respond.js";
import { noStore, type Views, wantsJson } from "../http/views.js";
import type { Csrf } from "../security/csrf.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import { type PasswordLimiter, takeAll } from "../security/password-limits.js";
import type { Authenticator } from "./passport.js";
import { hashPassword } from "./passwords.js";
import { clearSessionCookie, type SessionCookie } from "./session-cookie.js";
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
  /** To clear the cookie on logout with the attributes it was set with. */
  sessionCookie: SessionCookie;
  /** After a sign-up (the verification mail, in the language of `req`). */
  onRegistered(user: Express.User, req: Request): void;
  signIn: SignIn;
  events: Events;
  /** What the features add under the forms ("Continue with ...", "Sign in with a passkey"). */
  signInButtons: readonly PagePart[];
  /** Where logging out goes instead of the login page (a provider's end-session page). */
  logoutRedirects: readonly ((req: Request) => Promise<string | undefined>)[];
}

// Catalogue keys (locales/*.json).
const INCORRECT = "auth.incorrect";
const TAKEN = "auth.register.taken";

/** Why the login page is shown (?expired=1, ...): each says so, `auth.notices.<name>`. */
const loginNotices = ["expired", "loggedout", "destroyed", "revoked", "reset", "twofactor"];

export function authRoutes(deps: AuthRouteDeps): Router {
  const { pool, passport, views, csrf, limiter, devices, sessionCookie, events } = deps;
  const router = Router();

  /** A form for visitors: never cached; a script gets the token its POST will need. */
  async function anonymousForm(
    req: Request,
    res: Response,
    page: "login" | "register",
    locals: Record<string, unknown>,
  ) {
    noStore(res);
    res.locals.signInPage = page;
    res.locals.signInNext = (locals.values as { next?: string }).next || undefined;
    const buttons = await renderParts(req, res, deps.signInButtons);
    return {
      views,
      view: page,
      locals: { ...locals, formToken: csrf.formToken(req, res), buttons },
    };
  }

  const registerPage = (req: Request, res: Response) =>
    anonymousForm(req, res, "register", {
      title: "auth.register.title",
      values: { email: formValue(req.body, "email") },
    });

  function loginPage(req: Request, res: Response) {
    const query = req.query as Record<string, unknown>;
    const notice = loginNotices.find((key) => query[key] === "1");
    return anonymousForm(req, res, "login", {
      title: "auth.login.title",
      notice: notice && `auth.notices.${notice}`,
      values: {
        email: formValue(req.body, "email"),
        remember: formValue(req.body, "remember") === "on",
        next: safeReturnPath(req.body?.next ?? query.next) ?? "",
      },
    });
  }

  const refuse = async (
    req: Request,
    res: Response,
    status: number,
    errors: FieldErrors,
    page: typeof loginPage,
  ) => invalidForm(status, errors, await page(req, res));

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
    const form = await registerPage(req, res);
    showForm(req, res, form, form.locals.formToken);
  });

  // Sign up: a new account, logged in at once on a fresh session. Each costs a password hash:
  // limited per address.
  router.post("/register", async (req, res) => {
    const parsed = registerSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw await refuse(req, res, 400, fieldErrors(parsed.error), registerPage);
    const { email, password } = parsed.data;
    const attempt = await limiter.registerByIp.take(req.ip ?? "unknown");
    if (!attempt.allowed) {
      const limit = tooManyAttempts(attempt.retryAfterSeconds, "signUps");
      throw invalidForm(429, { form: limit.text }, await registerPage(req, res), limit);
    }
    // Hash first, so a taken email answers in the same time as a new one.
    const created = await createUser(pool, email, await hashPassword(password));
    if (created === "taken") throw await refuse(req, res, 409, { email: TAKEN }, registerPage);
    req.log?.info({ userId: created.id }, "user registered");
    deps.onRegistered(created, req);
    await deps.signIn.firstFactor(req, res, created, {
      method: "password",
      remember: false,
      newAccount: true,
      flash: { kind: "info", text: "auth.register.welcome" },
    });
  });

  // The login form; ?next= is where to go after, ?expired=1 etc. explain why we are here.
  router.get("/login", async (req, res) => {
    if (req.user) return res.redirect(303, safeReturnPath(req.query.next) ?? "/account");
    await databaseAnswers();
    const form = await loginPage(req, res);
    showForm(req, res, form, form.locals.formToken);
  });

  // Log in. Each attempt is counted before the password is checked, and given back if it was
  // right. A browser holding this account's device cookie (it logged in here before) is limited
  // on its own; any other is limited per address and per account. Unknown email and wrong
  // password answer alike.
  router.post("/login", async (req, res, next) => {
    const parsed = loginSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw await refuse(req, res, 400, fieldErrors(parsed.error), loginPage);
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
      const limit = tooManyAttempts(attempt.retryAfterSeconds, "loginAttempts");
      throw invalidForm(429, { form: limit.text }, await loginPage(req, res), limit);
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
            const refusal = await refuse(req, res, 401, { form: INCORRECT }, loginPage);
            next(refusal);
            // Only for an existing account (guesses are already bounded by the limiter above),
            // and after the answer, so a known address does not answer later than an unknown one.
            if (account.userId === undefined) return;
            return events
              .record({ userId: account.userId, kind: "sign_in_failed", req })
              .catch((err: unknown) =>
                req.log?.error({ err }, "recording a failed sign-in failed"),
              );
          }
          await attempt.giveBack();
          // The password was right: the one sign-in pipeline decides the rest (core/sign-in.ts).
          await deps.signIn.firstFactor(req, res, user, {
            method: "password",
            remember,
            next: safeReturnPath(req.body?.next),
          });
        })().catch(next);
      },
    )(req, res, next);
  });

  // Log out: the session is deleted from the store and the cookie cleared; then the login page,
  // or a provider's end-session page (a feature's logoutRedirect, asked first).
  router.post("/logout", async (req, res) => {
    const hadSession = Boolean((req as { session?: unknown }).session);
    let next: string | undefined;
    if (req.user) {
      await events.record({ userId: req.user.id, kind: "sign_out", req });
      for (const redirect of deps.logoutRedirects) next ??= await redirect(req);
    }
    if (hadSession) await req.session.destroy();
    clearSessionCookie(res, sessionCookie);
    noStore(res);
    if (wantsJson(req)) return res.json({ loggedOut: true, ...(next ? { next } : {}) });
    res.redirect(303, next ?? "/login?loggedout=1");
  });

  return router;
}
