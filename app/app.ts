import express, { type Express } from "express";
import type pg from "pg";
import type { Config } from "./config.js";
import { errorHandler, notFound } from "./http/errors.js";
import { healthRoutes } from "./http/health.js";
import { homeRoutes } from "./http/home.js";
import { httpLogger, type Logger } from "./logger.js";
import session, { type Store } from "./session/index.js";

export interface AppDeps {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  sessionStore: Store;
}

// A rolling cookie restarts the idle timeout on every response; writing the new expiry to the
// store once a minute is enough and spares a write per request.
const SESSION_TOUCH_AFTER_MS = 60_000;

/** The Express app, wired from its dependencies. No I/O here: the caller owns them. */
export function createApp({ config, pool, logger, sessionStore }: AppDeps): Express {
  const app = express();
  app.set("trust proxy", config.trustProxy);
  app.disable("x-powered-by");

  app.use(httpLogger(logger));
  // Probes come before the session, so they never read or write the store.
  app.use(healthRoutes(pool));

  app.use(
    session({
      store: sessionStore,
      secret: config.sessionSecrets,
      // __Host-: the browser only accepts it over HTTPS, for this host, on path / (production).
      name: config.isProduction ? "__Host-sid" : "sid",
      resave: false,
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
      touchAfter: SESSION_TOUCH_AFTER_MS,
    }),
  );

  app.use(homeRoutes());

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
