import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import type pg from "pg";
import { checkFeatureConfig, createApp, maintenanceTasksOf } from "./app.js";
import { type Config, ConfigError, loadConfig, loadEnvFile } from "./config.js";
import { openDatabase } from "./db/database.js";
import { createSessionStore, type SessionStore } from "./db/session-store.js";
import { answerClientError } from "./http/client-errors.js";
import { closeHttpServer } from "./http/close-server.js";
import { createLogger, type Logger, wantsPrettyLogs } from "./logger.js";
import { createMailer } from "./mail/mailer.js";
import {
  type Maintenance,
  type MaintenanceTask,
  startAppMaintenance,
} from "./maintenance/index.js";

/** How long shutdown waits for in-flight requests before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  url: string;
  pool: pg.Pool;
  sessionStore: SessionStore;
  /** The cleanups (expired sessions, counters, tokens, old activity): app/maintenance/. */
  maintenance: Maintenance;
  /** Graceful stop: HTTP server, mails, maintenance, store, Pool, embedded database, in that order. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Cleanups of a feature's own, run with the core ones (app/maintenance/tasks.ts). */
  maintenanceTasks?: MaintenanceTask[];
}

function urlOf(address: AddressInfo): string {
  // A wildcard address is not something to type into a browser.
  const host =
    address.address === "0.0.0.0" || address.address === "::"
      ? "localhost"
      : address.family === "IPv6"
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * The address to open in a browser: `localhost` for a loopback address, since mailed links and
 * passkeys (APP_URL, by default http://localhost:PORT) work only there.
 */
export function forBrowsers(url: string): string {
  const parsed = new URL(url);
  if (/^127\.|^\[::1\]$/.test(parsed.hostname)) parsed.hostname = "localhost";
  return parsed.origin;
}

/** Opens the database, builds the app and listens on HOST:PORT (PORT 0: any free port). */
export async function startServer(
  config: Config,
  logger: Logger = createLogger({ level: config.logLevel }),
  options: ServerOptions = {},
): Promise<RunningServer> {
  const database = await openDatabase(config, logger);
  const sessionStore = createSessionStore(database.pool, config, logger);
  const mailer = createMailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    appName: config.appName,
    logger,
  });
  const app = createApp({ config, pool: database.pool, logger, sessionStore, mailer });
  const server = createServer(app);
  // Requests Node's parser refuses (headers too large, malformed) get a page, not a bare status.
  server.on("clientError", answerClientError(config.appName));
  try {
    server.listen(config.port, config.host);
    await once(server, "listening");
  } catch (error) {
    await sessionStore.close();
    await database.close();
    throw error;
  }

  const maintenance = startAppMaintenance(database, config, logger, [
    ...maintenanceTasksOf(app),
    ...(options.maintenanceTasks ?? []),
  ]);
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(server.address() as AddressInfo),
    pool: database.pool,
    sessionStore,
    maintenance,
    close() {
      closing ??= (async () => {
        await closeHttpServer(server, SHUTDOWN_GRACE_MS);
        // Mails already queued are sent before the database goes.
        await mailer.close();
        // A run in flight stops at its next batch; then its own connection closes.
        await maintenance.stop();
        await sessionStore.close();
        await database.close();
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  loadEnvFile();
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
    checkFeatureConfig(loaded.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return;
  }
  const { config, warnings } = loaded;
  const logger = createLogger({
    level: config.logLevel,
    pretty: wantsPrettyLogs(config.logFormat, config.isProduction),
  });
  for (const warning of warnings) logger.warn(warning);

  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (error) {
    logger.fatal(
      { err: error },
      `could not start: ${error instanceof Error ? error.message : error}`,
    );
    process.exitCode = 1;
    return;
  }
  logger.info({ url: running.url }, `listening on ${forBrowsers(running.url)}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    running.close().then(
      () => logger.info("stopped"),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

// Run only as the entry point (`tsx app/server.ts`, `node dist/app/server.js`), not on import.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
