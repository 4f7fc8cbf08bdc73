import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrate } from "../../app/db/migrate.js";
import { testDatabaseUrl } from "./database.js";

export const silentMigrationLog = { info() {}, warn() {}, error() {} };

export interface TestSchema {
  name: string;
  /** One connection (PGlite-safe) whose search path is this schema, then public. */
  pool: pg.Pool;
  /** Ends the pool, drops the schema and restores the search path. */
  drop(): Promise<void>;
}

/** A fresh, uniquely named schema in the shared test database, with every migration applied. */
export async function createTestSchema(): Promise<TestSchema> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  const url = testDatabaseUrl();
  await migrate({ databaseUrl: url, direction: "up", schema: name, log: silentMigrationLog });
  // PGlite ignores the `options` startup parameter, so set the path on each new connection.
  // In onConnect, which the Pool awaits before it hands the client out: a "connect" listener
  // would send it while the Pool sends the caller's query on the same client.
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    onConnect: async (client) => {
      await client.query(`set search_path to ${name}, public`);
    },
  });
  return {
    name,
    pool,
    async drop() {
      await pool.end();
      // PGlite is one backend: a search path set on any connection outlives it, so reset it too.
      await runSql(url, `drop schema if exists ${name} cascade; reset search_path`);
    },
  };
}

/** Runs SQL on a connection of its own. */
export async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
