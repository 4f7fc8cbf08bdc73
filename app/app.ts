import express, { type Express, type Router } from "express";
import type pg from "pg";
import { pageLocals } from "./account/page-locals.js";
import { accountRoutes } from "./account/routes.js";
import { securityRoutes } from "./account/security.js";
import { createSignIns } from "./activity/sign-in.js";
import { requireUser, requireVerifiedEmail } from "./auth/guards.js";
import { oidcClient } from "./auth/oidc/client.js";
import { flowCookies } from "./auth/oidc/flow-cookie.js";
import { oidcRoutes } from "./auth/oidc/routes.js";
import { passkeyAccountRoutes } from "./auth/passkeys/account-routes.js";
import { relyingParty } from "./auth/passkeys/relying-party.js";
import { passkeySignInRoutes } from "./auth/passkeys/sign-in-routes.js";
import { createAuthenticator } from "./auth/passport.js";
import { recoveryRoutes, UNVERIFIED_ALLOWED } from "./auth/recovery/routes.js";
import { createRecovery } from "./auth/recovery/service.js";
import { authRoutes } from "./auth/routes.js";
import "./auth/session-data.js";
import { confirmRoutes, recentAuthGuard } from "./auth/sudo.js";
import { twoFactorLoginRoutes } from "./auth/two-factor/login-routes.js";
import { twoFactorSetupRoutes } from "./auth/two-factor/setup-routes.js";
import { twoFactorStore } from "./auth/two-factor/store.js";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { errorHandler, logLateErrors, notFound } from "./http/errors.js";
import { healthRoutes } from "./http/health.js";
import { homeRoutes } from "./http/home.js";
import { createViews, type Views } from "./http/views.js";
import { httpLogger, type Logger } from "./logger.js";
import { devOutboxRoutes } from "./mail/dev-outbox.js";
import { createMailer, type Mailer } from "./mail/mailer.js";
import { publicDir, viewsDir, webAuthnBrowserBundle } from "./paths.js";
import { SESSION_TOUCH_AFTER_MS } from "./policy.js";
import { cookieName } from "./security/cookie-names.js";
import { type Csrf, createCsrf } from "./security/csrf.js";
import { developmentHostCheck } from "./security/dev-host.js";
import { deviceCookies } from "./security/device-cookie.js";
import { securityHeaders } from "./security/headers.js";
import { createPasswordLimiter, type PasswordLimitOptions } from "./security/password-limits.js";
import { createSecretBox } from "./security/secrets-at-rest.js";
import session, { type Store } from "./session/index.js";

export interface AppDeps {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  sessionStore: Store;
  /** Limits on password checks (log in, sign up, current password); tests change them. */
  loginLimits?: Partial<PasswordLimitOptions>;
  /** Sends the app's mails; by default built from the config (SMTP_URL or the dev outbox). */
  mailer?: Mailer;
  /** What time it is for TOTP codes, the pending second factor and sudo mode; tests set it. */
  clock?: Clock;
  /**
   * More routes, mounted after the app's own and before the 404: they get the views and the
   * CSRF tokens every form uses (tests add a public form this way).
   */
  extraRoutes?: (kit: { views: Views; csrf: Csrf }) => Router;
}

// A rolling cookie restarts the idle timeout on every response; writing the new expiry to the
// store once a minute (policy.ts) is enough and spares a write per request. Never more than a
// tenth of the idle timeout, so an active session cannot expire in the store between two touches.
const touchAfterFor = (idleTimeoutMs: number) =>
  Math.min(SESSION_TOUCH_AFTER_MS, Math.floor(idleTimeoutMs / 10));

/** The Express app, wired from its dependencies. No I/O here: the caller owns them. */
export function createApp({
  config,
  pool,
  logger,
  sessionStore,
  loginLimits = {},
  mailer = createMailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    appName: config.appName,
    logger,
  }),
  clock = systemClock,
  extraRoutes,
}: AppDeps): Express {
  const app = express();
  app.set("trust proxy", config.trustProxy);
  app.disable("x-powered-by");

  const views = createViews(viewsDir, { cache: config.isProduction, appName: config.appName });
  // __Host-: the browser only accepts it over HTTPS, for this host, on path / (production).
  const sessionCookie = {
    name: cookieName(config, "sid"),
    secure: config.isProduction,
    sameSite: "lax" as const,
  };
  const passport = createAuthenticator(pool);
  const recovery = createRecovery({
    pool,
    mailer,
    appUrl: config.appUrl,
    resetTokenMs: config.passwordResetTokenMs,
    emailTokenMs: config.emailTokenMs,
  });
  const limiter = createPasswordLimiter(pool, loginLimits);
  const twoFactor = twoFactorStore(pool, createSecretBox(config.dataEncryptionKey));
  const requireRecentAuth = recentAuthGuard(clock);
  // Every form's token (csrf.formToken, it.csrf() in templates): stateless for visitors who are
  // not logged in (no session row for looking), the session's own once logged in. No list of paths.
  const csrf = createCsrf({
    secrets: config.sessionSecrets,
    production: config.isProduction,
    cookieName: cookieName(config, "csrf"),
  });
  // __Host-: as the session cookie. Names the account a browser has logged in to (login limits).
  const devices = deviceCookies({
    name: cookieName(config, "device"),
    secure: config.isProduction,
    secrets: config.sessionSecrets,
  });
  // Every sign-in: recorded, and a notice mail when the browser is new to the account.
  const signIns = createSignIns({
    pool,
    devices,
    mailer,
    appUrl: config.appUrl,
    maxSessionsPerUser: config.sessionMaxPerUser,
  });

  app.use(
    securityHeaders({
      production: config.isProduction,
      ...(config.oidc ? { formTargets: [config.oidc.issuer.origin] } : {}),
    }),
  );
  app.use(httpLogger(logger));
  // DNS rebinding: a development server answers for its own names only.
  if (!config.isProduction) app.use(developmentHostCheck(config.appUrl));
  // Probes and assets come before the session, so they never read or write the store.
  app.use(healthRoutes(pool));
  const staticMaxAge = config.isProduction ? "1h" : 0;
  app.get("/static/vendor/simplewebauthn-browser.js", (_req, res, next) => {
    res.sendFile(webAuthnBrowserBundle, { maxAge: staticMaxAge }, (err) => err && next(err));
  });
  app.use("/static", express.static(publicDir, { index: false, maxAge: staticMaxAge }));

  // Small forms only: anything bigger is refused with 413 before it costs anything.
  app.use(express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 50 }));
  app.use(express.json({ limit: "16kb" }));

  app.use(
    logLateErrors(
      session({
        store: sessionStore,
        secret: config.sessionSecrets,
        name: sessionCookie.name,
        resave: false,
        // A visitor who only looks at public pages gets no cookie and no row.
        saveUninitialized: false,
        rolling: true,
        // Follow Express's "trust proxy" to decide whether the request came over HTTPS.
        proxy: undefined,
        cookie: {
          httpOnly: true,
          sameSite: sessionCookie.sameSite,
          secure: sessionCookie.secure,
          maxAge: config.sessionIdleTimeoutMs,
          path: "/",
        },
        maxLifetime: config.sessionMaxLifetimeMs,
        touchAfter: touchAfterFor(config.sessionIdleTimeoutMs),
        // The table holds SHA-256(session ID): a leaked dump does not log anyone in.
        hashStoreKeys: true,
      }),
      logger,
    ),
  );
  // Passport needs the session; a request the session middleware passes over (`OPTIONS *`, an
  // absolute-form URL: not under the cookie's path) goes on without a login.
  const passportSession = passport.session();
  app.use((req, res, next) => {
    if (!req.url.startsWith("/")) return next();
    passportSession(req, res, next);
  });
  app.use(csrf.protection);
  app.use(pageLocals(csrf));
  if (config.oidc) {
    // "Continue with <name>" on the login and sign-up pages, "Link <name>" on the account page.
    const { name } = config.oidc;
    app.use((_req, res, next) => {
      res.locals.oidcName = name;
      next();
    });
  }

  app.use(homeRoutes(views));
  app.use(
    authRoutes({
      pool,
      passport,
      views,
      csrf,
      limiter,
      devices,
      rememberMs: config.sessionRememberMs,
      sessionCookie,
      onRegistered: (user) => recovery.sendVerification(user.id),
      twoFactor,
      clock,
      signIns,
    }),
  );
  app.use(
    twoFactorLoginRoutes({
      pool,
      views,
      csrf,
      limiter,
      signIns,
      twoFactor,
      clock,
      rememberMs: config.sessionRememberMs,
      sessionCookie,
      devices,
    }),
  );
  // Development only (no SMTP server): the outbox. Production requires SMTP_URL, so a 404 there.
  if (mailer.outbox && !config.isProduction) app.use(devOutboxRoutes(mailer.outbox, views));
  app.use("/account", requireUser(sessionCookie.name));
  if (config.requireEmailVerification) {
    app.use("/account", requireVerifiedEmail(UNVERIFIED_ALLOWED));
  }
  if (config.oidc) {
    const { oidc } = config;
    app.use(
      oidcRoutes({
        pool,
        views,
        client: oidcClient(oidc, `${config.appUrl}/auth/oidc/callback`),
        flows: flowCookies({
          name: cookieName(config, "oidc_flow"),
          secure: config.isProduction,
          secrets: config.sessionSecrets,
        }),
        signIns,
        name: oidc.name,
        requireRecentAuth: requireRecentAuth("/account"),
        twoFactor,
        clock,
      }),
    );
  }
  const ceremonies = { pool, rp: relyingParty(config.appUrl, config.appName), clock };
  app.use(
    passkeySignInRoutes({
      ...ceremonies,
      views,
      limiter,
      signIns,
      rememberMs: config.sessionRememberMs,
    }),
  );
  app.use(passkeyAccountRoutes({ ...ceremonies, requireRecentAuth }));
  app.use(confirmRoutes({ pool, views, limiter, twoFactor, clock, devices }));
  app.use(
    securityRoutes({
      pool,
      limiter,
      views,
      sessionCookie,
      twoFactor,
      requireRecentAuth,
      afterPasswordChange: (userId) => recovery.afterPasswordChange(userId),
      devices,
    }),
  );
  app.use(
    twoFactorSetupRoutes({
      pool,
      views,
      twoFactor,
      requireRecentAuth,
      clock,
      issuer: config.appName,
    }),
  );
  // Changing the address is sudo mode (GET and POST /account/email; resending a link is not).
  app.get("/account/email", requireRecentAuth("/account/email"));
  app.post("/account/email", requireRecentAuth("/account/email"));
  app.use(
    recoveryRoutes({ pool, views, csrf, limiter, recovery, sessionCookieName: sessionCookie.name }),
  );
  app.use(
    accountRoutes({
      pool,
      limiter,
      views,
      sessionCookie,
      idleTimeoutMs: config.sessionIdleTimeoutMs,
      maxLifetimeMs: config.sessionMaxLifetimeMs,
    }),
  );

  if (extraRoutes) app.use(extraRoutes({ views, csrf }));

  app.use(notFound(views));
  app.use(errorHandler(views, logger));
  return app;
}
