import { runner } from "node-pg-migrate";
import { migrationsDir } from "../paths.js";

/** Where node-pg-migrate's progress lines go (console, or an adapter to the app's logger). */
export interface MigrationLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface MigrateOptions {
  databaseUrl: string;
  direction: "up" | "down";
  /** How many to run: all pending ones up, one down, unless given. */
  count?: number;
  /** Run inside this schema (created if missing) instead of `public`: lets tests share a database. */
  schema?: string;
  log?: MigrationLog;
}

/** Applies or reverts migrations/ (SQL files) and returns the names of those it ran. */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const ran = await runner({
    // Its own connection, outside the app's Pool and its statement timeouts.
    databaseUrl: options.databaseUrl,
    dir: migrationsDir,
    migrationsTable: "pgmigrations",
    direction: options.direction,
    count: options.count ?? (options.direction === "up" ? Number.POSITIVE_INFINITY : 1),
    // All or nothing; PGlite also needs the run in one transaction (one backend, shared state).
    singleTransaction: true,
    checkOrder: true,
    // `public` stays on the search path so extensions installed there (citext) are found.
    ...(options.schema ? { schema: [options.schema, "public"], createSchema: true } : {}),
    logger: options.log ?? console,
  });
  return ran.map((migration) => migration.name);
}
