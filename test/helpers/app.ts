import type { RequestListener } from "node:http";
import type { Express } from "express";
import { Router } from "express";
import type pg from "pg";
import { onTestFinished } from "vitest";
import { type AppDeps, createApp } from "../../app/app.js";
import type { Clock } from "../../app/clock.js";
import type { Config } from "../../app/config.js";
import { createSessionStore } from "../../app/db/session-store.js";
import { createMailer, type Mailer } from "../../app/mail/mailer.js";
import type { PasswordLimitOptions } from "../../app/security/password-limits.js";
import { testDatabaseUrl } from "./database.js";
import { HttpClient } from "./http-client.js";
import { listen } from "./listen.js";
import { type CapturedLogs, captureLogs } from "./logs.js";
import { probeRoutes } from "./probe-routes.js";
import { testConfig } from "./test-config.js";
import { createTestSchema, runSql } from "./test-schema.js";

export interface TestAppOptions {
  /** Environment variables for testConfig (NODE_ENV, TRUST_PROXY, ...). */
  env?: Record<string, string>;
  /** Fields set on the loaded Config, e.g. a session idle timeout of 2 s. */
  config?: Partial<Config>;
  /** Other limits on password checks (the app's defaults otherwise). */
  loginLimits?: Partial<PasswordLimitOptions>;
  /** The app's clock (TOTP codes, the pending second factor, sudo mode): see test/helpers/totp.ts. */
  clock?: Clock;
  /**
   * The host name in the app's URL (APP_URL and `url`); the server still listens on 127.0.0.1.
   * "localhost" for passkeys: a browser makes none for an IP address.
   */
  hostname?: "localhost";
  /** The app's features (default: app/features/index.ts): see AppDeps.features. */
  features?: AppDeps["features"];
  /** Routes the test adds to the app (before its 404): see AppDeps.extraRoutes. */
  extraRoutes?: AppDeps["extraRoutes"];
  /** Mount the probe routes (./probe-routes.ts), before any extraRoutes. */
  probeRoutes?: boolean;
  /** Close when the current test finishes (default true; false when started in beforeAll). */
  autoClose?: boolean;
}

export interface TestApp {
  url: string;
  /** The Express app itself (its router: test/security/route-walk.test.ts). */
  express: Express;
  /** The app's own pool (one connection) on a fresh schema: query the tables through it. */
  pool: pg.Pool;
  config: Config;
  logs: CapturedLogs;
  /** The app's mailer: its dev outbox (no SMTP_URL), the jobs it queued, idle(). */
  mailer: Mailer;
  /** A new browser stand-in for this app, with headers it sends on every request. */
  client(headers?: Record<string, string>): HttpClient;
  close(): Promise<void>;
}

/**
 * The real app (createApp) on a fresh schema of the test database with every migration,
 * its Postgres session store and rate limiter, served on 127.0.0.1.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  // The embedded test database (PGlite) is one backend for every connection, so named prepared
  // statements (rate-limiter-flexible's) outlive the app that made them: a later app's first
  // Parse of the same name would fail. A fresh app starts with none (a no-op on real Postgres).
  await runSql(testDatabaseUrl(), "deallocate all");
  const schema = await createTestSchema();
  const logs = captureLogs();
  // Listening first, so the app's public URL (APP_URL: links, the OIDC redirect URI) is this
  // server's own, unless the test sets one.
  let app: RequestListener = (_req, res) => res.end();
  const server = await listen((req, res) => app(req, res));
  const url = options.hostname ? server.url.replace("127.0.0.1", options.hostname) : server.url;
  const config: Config = {
    ...testConfig({ DATABASE_URL: testDatabaseUrl(), APP_URL: url, ...options.env }),
    ...options.config,
  };
  const sessionStore = createSessionStore(schema.pool, config, logs.logger);
  const mailer = createMailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    appName: config.appName,
    logger: logs.logger,
  });
  const probe = options.probeRoutes ? probeRoutes(schema.pool) : undefined;
  const { extraRoutes } = options;
  const routes: AppDeps["extraRoutes"] =
    probe && extraRoutes
      ? (kit) => Router().use(probe(kit), extraRoutes(kit))
      : (probe ?? extraRoutes);
  const express = createApp({
    config,
    pool: schema.pool,
    logger: logs.logger,
    sessionStore,
    mailer,
    ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(routes ? { extraRoutes: routes } : {}),
    ...(options.features ? { features: options.features } : {}),
  });
  app = express;

  let closed = false;
  const testApp: TestApp = {
    url,
    express,
    pool: schema.pool,
    config,
    logs,
    mailer,
    client: (headers = {}) => new HttpClient(url, headers),
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await mailer.close();
      await sessionStore.close();
      await schema.drop();
    },
  };
  if (options.autoClose !== false) onTestFinished(() => testApp.close());
  return testApp;
}
