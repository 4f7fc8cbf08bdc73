import type pg from "pg";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded.js";
import { migrate } from "./migrate.js";
import { createPool, type PoolKind } from "./pool.js";

export interface Database {
  pool: pg.Pool;
  /** Where the Pool connects (the maintenance runner opens its own connection there). */
  url: string;
  /** "embedded": one backend, one connection for everything (app/maintenance/runner.ts). */
  kind: PoolKind;
  /** Ends the Pool, then stops the embedded server if there is one. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The app's database: DATABASE_URL when set, otherwise an embedded Postgres in DATA_DIR.
 * Outside production, pending migrations are applied first (in production that is
 * `npm run migrate`, a separate deploy step).
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
    url = embedded.url;
    logger.info({ dataDir: config.dataDir }, "embedded Postgres started");
  }

  if (!config.isProduction) {
    try {
      const applied = await migrate({
        databaseUrl: url,
        direction: "up",
        log: migrationLog(logger),
      });
      if (applied.length > 0) logger.info({ migrations: applied }, "applied pending migrations");
    } catch (error) {
      await embedded?.stop();
      throw error;
    }
  }

  const kind: PoolKind = embedded ? "embedded" : "server";
  const pool = createPool(url, kind, logger);
  let closing: Promise<void> | undefined;
  return {
    pool,
    url,
    kind,
    close() {
      closing ??= (async () => {
        await pool.end();
        await embedded?.stop();
      })();
      return closing;
    },
  };
}

// node-pg-migrate narrates every file and statement; that is debug detail for the app.
function migrationLog(logger: Logger) {
  return {
    info: (message: string) => logger.debug(message),
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.error(message),
  };
}
