import express, { type Express, Router } from "express";
import type pg from "pg";
import { languageRoutes } from "./account/language.js";
import { pageLocals } from "./account/page-locals.js";
import { accountRoutes } from "./account/routes.js";
import { securityRoutes } from "./account/security.js";
import { settingsNav } from "./account/settings-nav.js";
import { createAuthenticator } from "./auth/passport.js";
import { proveAddress } from "./auth/recovery/address-proof.js";
import { recoveryRoutes } from "./auth/recovery/routes.js";
import { createRecovery, type Recovery } from "./auth/recovery/service.js";
import { authRoutes } from "./auth/routes.js";
import "./auth/session-data.js";
import { confirmRoutes } from "./auth/sudo.js";
import { findUserById } from "./auth/users.js";
import { type Clock, systemClock } from "./clock.js";
import { type Config, ConfigError, type ConfigProblem } from "./config.js";
import { type Contributions, emptyContributions, setUp } from "./core/compose.js";
import { createEvents } from "./core/events.js";
import type { Feature, Kit } from "./core/feature.js";
import { createGuards, type Guards } from "./core/guards.js";
import { pageBanners } from "./core/page-parts.js";
import { createSecondFactors } from "./core/second-factor.js";
import { createSignIn } from "./core/sign-in.js";
import { createSignInMethods } from "./core/sign-in-methods.js";
import { features as allFeatures } from "./feature-list.js";
import { errorHandler, logLateErrors, notFound } from "./http/errors.js";
import { healthRoutes } from "./http/health.js";
import { homeRoutes } from "./http/home.js";
import { createViews, type Views } from "./http/views.js";
import { localeOf } from "./i18n/index.js";
import { httpLogger, type Logger } from "./logger.js";
import { devOutboxRoutes } from "./mail/dev-outbox.js";
import { createMailer, type Mailer } from "./mail/mailer.js";
import type { MaintenanceTask } from "./maintenance/tasks.js";
import { publicDir, viewsDir } from "./paths.js";
import { SESSION_TOUCH_AFTER_MS } from "./policy.js";
import { cookieName } from "./security/cookie-names.js";
import { type Csrf, createCsrf } from "./security/csrf.js";
import { developmentHostCheck } from "./security/dev-host.js";
import { deviceCookies } from "./security/device-cookie.js";
import { securityHeaders } from "./security/headers.js";
import { createPasswordLimiter, type PasswordLimitOptions } from "./security/password-limits.js";
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
  /** The optional capabilities (app/features/index.ts); tests set up an app with fewer. */
  features?: readonly Feature[];
  /**
   * More routes, mounted after the app's own and before the 404: they get the views, the CSRF
   * tokens every form uses and the guards (tests add a public form or a private route this way).
   */
  extraRoutes?: (kit: { views: Views; csrf: Csrf; guards: Guards }) => Router;
}

// A rolling cookie restarts the idle timeout on every response; writing the new expiry to the
// store once a minute (policy.ts) is enough and spares a write per request. Never more than a
// tenth of the idle timeout, so an active session cannot expire in the store between two touches.
const touchAfterFor = (idleTimeoutMs: number) =>
  Math.min(SESSION_TOUCH_AFTER_MS, Math.floor(idleTimeoutMs / 10));

const featureTasks = new WeakMap<Express, MaintenanceTask[]>();

/** The cleanups the app's features added (the server runs them with the core's). */
export const maintenanceTasksOf = (app: Express): MaintenanceTask[] => featureTasks.get(app) ?? [];

/**
 * Each feature's check of its own variables (Feature.checkConfig), every problem of every feature
 * in one ConfigError: the server calls it with loadConfig, before it starts anything.
 */
export function checkFeatureConfig(
  config: Config,
  features: readonly Feature[] = allFeatures,
): void {
  const problems: ConfigProblem[] = [];
  for (const feature of features) {
    try {
      feature.checkConfig?.(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * The Express app, wired from its dependencies. No I/O here: the caller owns them. The core
 * (sessions, security, accounts) first, then each feature of app/features/index.ts.
 */
export function createApp(deps: AppDeps): Express {
  const { config, pool, logger } = deps;
  const { kit, parts } = core(deps);
  setUp(deps.features ?? allFeatures, kit, parts);
  const app = express();
  app.set("trust proxy", config.trustProxy);
  app.disable("x-powered-by");
  featureTasks.set(app, parts.maintenance);

  app.use(securityHeaders({ production: config.isProduction, formTargets: parts.formTargets }));
  app.use(httpLogger(logger));
  // DNS rebinding: a development server answers for its own names only.
  if (!config.isProduction) app.use(developmentHostCheck(config.appUrl));
  // Probes and assets come before the session, so they never read or write the store.
  app.use(healthRoutes(pool));
  app.use(assets(config, parts));
  // Small forms only: anything bigger is refused with 413 before it costs anything.
  app.use(express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 50 }));
  app.use(express.json({ limit: "16kb" }));
  app.use(sessionAndLogin(deps, kit));
  // The settings pages' navigation: the core's entries and the features' (settingsPages).
  app.use(settingsNav(parts.settingsPages));
  // What the features do on every request (before any route), and their banners on every page.
  for (const handler of parts.everyRequest) app.use(handler);
  if (parts.banners.length > 0) app.use(pageBanners(parts.banners));
  // The core's pages, then the features' routes in the list's order, then a test's own.
  app.use(corePages(kit, parts));
  for (const routes of parts.routes) app.use(routes);
  if (deps.extraRoutes) app.use(deps.extraRoutes(kit));
  app.use(notFound(kit.views));
  app.use(errorHandler(kit.views, logger));
  return app;
}

/** The core's static files and the features', under /static; a feature's own asset routes. */
function assets(config: Config, parts: Contributions): Router {
  const router = Router();
  const maxAge = config.isProduction ? "1h" : 0;
  for (const routes of parts.assets) router.use(routes);
  for (const dir of [publicDir, ...parts.publicDirs]) {
    router.use("/static", express.static(dir, { index: false, maxAge }));
  }
  return router;
}

/** The session, who is logged in (Passport), CSRF on every POST, and what every page needs. */
function sessionAndLogin(deps: AppDeps, kit: CoreKit): Router {
  const { config, sessionStore, logger } = deps;
  const router = Router();
  router.use(
    logLateErrors(sessionMiddleware(config, sessionStore, kit.sessionCookie.name), logger),
  );
  // Passport needs the session; a request the session middleware passes over (`OPTIONS *`, an
  // absolute-form URL: not under the cookie's path) goes on without a login.
  const passportSession = kit.passport.session();
  router.use((req, res, next) => {
    if (!req.url.startsWith("/")) return next();
    passportSession(req, res, next);
  });
  router.use(kit.csrf.protection);
  router.use(pageLocals(kit.csrf));
  return router;
}

/**
 * The core's pages: home, sign-up, log in and out, sudo mode, the security and account pages,
 * recovery by mail, the development outbox. Each router declares who may use its routes.
 */
function corePages(kit: CoreKit, parts: Contributions): Router {
  const { config, mailer, recovery } = kit;
  const router = Router();
  // Development only: pages that say "we sent you a mail" link to the outbox.
  if (mailer.outbox && !config.isProduction) {
    router.use((_req, res, next) => {
      res.locals.devMail = "/dev/mail";
      next();
    });
  }
  router.use(homeRoutes(kit.views));
  router.use(languageRoutes({ ...kit, secureCookies: config.isProduction }));
  router.use(
    authRoutes({
      ...kit,
      onRegistered: (user, req) => recovery.sendVerification(user.id, localeOf(req)),
      signInButtons: parts.signInButtons,
      logoutRedirects: parts.logoutRedirects,
    }),
  );
  // Development only (no SMTP server): the outbox. Production requires SMTP_URL, so a 404 there.
  if (mailer.outbox && !config.isProduction) router.use(devOutboxRoutes(mailer.outbox, kit.views));
  router.use(confirmRoutes(kit));
  router.use(
    securityRoutes({
      ...kit,
      sections: parts.securitySections,
      afterPasswordChange: (userId, locale) => recovery.afterPasswordChange(userId, locale),
    }),
  );
  router.use(recoveryRoutes({ ...kit, recovery, unprovenAccess: parts.unprovenAccess }));
  router.use(
    accountRoutes({
      ...kit,
      idleTimeoutMs: config.sessionIdleTimeoutMs,
      sections: parts.accountSections,
    }),
  );
  return router;
}

type CoreKit = ReturnType<typeof core>["kit"];

/** What every app has, and the kit the features get. */
function core(deps: AppDeps) {
  const { config, pool, logger, clock = systemClock } = deps;
  const mailer =
    deps.mailer ??
    createMailer({
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      appName: config.appName,
      logger,
    });
  const parts: Contributions = emptyContributions();
  // __Host-: the browser only accepts it over HTTPS, for this host, on path / (production).
  const sessionCookie = {
    name: cookieName(config, "sid"),
    secure: config.isProduction,
    sameSite: "lax" as const,
  };
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
  const events = createEvents(parts.eventListeners, parts.eventLogs);
  const secondFactors = createSecondFactors(parts.secondFactors, clock);
  const recovery = createRecovery({
    pool,
    mailer,
    appUrl: config.appUrl,
    resetTokenMs: config.passwordResetTokenMs,
    emailTokenMs: config.emailTokenMs,
  });
  const signInMethods = createSignInMethods(pool, parts.signInMethods);
  const kit: Kit & {
    passport: ReturnType<typeof createAuthenticator>;
    recovery: Recovery;
  } = {
    config,
    pool,
    logger,
    mailer,
    clock,
    views: createViews(viewsDir, { cache: config.isProduction, appName: config.appName }),
    csrf,
    limiter: createPasswordLimiter(pool, deps.loginLimits ?? {}),
    devices,
    sessionCookie,
    guards: createGuards({
      sessionCookieName: sessionCookie.name,
      requireEmailVerification: config.requireEmailVerification,
      clock,
      refusals: parts.sensitiveRefusals,
    }),
    signIn: createSignIn({
      pool,
      devices,
      events,
      secondFactors,
      hooks: parts.signInHooks,
      checks: parts.signInChecks,
      clock,
      rememberMs: config.sessionRememberMs,
      maxSessionsPerUser: config.sessionMaxPerUser,
      findUser: (id) => findUserById(pool, id),
    }),
    secondFactors,
    signInMethods,
    // parts.unprovenAccess is filled as the features are set up, before any request.
    proveAddress: (req, userId, options) =>
      proveAddress(
        { pool, recovery, events, signInMethods, unprovenAccess: parts.unprovenAccess },
        req,
        userId,
        options,
      ),
    sendVerification: (userId, locale) => recovery.sendVerification(userId, locale),
    events,
    eventKinds: parts.eventKinds,
    passport: createAuthenticator(pool),
    recovery,
  };
  return { kit, parts };
}

/** Our express-session: the store, the cookie, the timeouts. */
function sessionMiddleware(config: Config, store: Store, name: string) {
  return session({
    store,
    secret: config.sessionSecrets,
    name,
    resave: false,
    // A visitor who only looks at public pages gets no cookie and no row.
    saveUninitialized: false,
    rolling: true,
    // Follow Express's "trust proxy" to decide whether the request came over HTTPS.
    proxy: undefined,
    cookie: {
      httpOnly: true,
      sameSite: "lax",
      secure: config.isProduction,
      maxAge: config.sessionIdleTimeoutMs,
      path: "/",
    },
    maxLifetime: config.sessionMaxLifetimeMs,
    touchAfter: touchAfterFor(config.sessionIdleTimeoutMs),
    // The table holds SHA-256(session ID): a leaked dump does not log anyone in.
    hashStoreKeys: true,
  });
}
