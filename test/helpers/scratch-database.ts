import { randomBytes } from "node:crypto";
import pg from "pg";

/** The PostgreSQL server tests may create databases on (CI: the machine's server). */
export function serverUrl(): string {
  return process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
}

export interface ScratchDatabase {
  name: string;
  /** DATABASE_URL of the new database. */
  url: string;
  /** A small pool on it, to look at the tables. */
  pool: pg.Pool;
  /** Ends the pool and drops the database, even with connections still open on it. */
  drop(): Promise<void>;
}

/** A new, empty, uniquely named database on the server of `url` (a real server, not PGlite). */
export async function createScratchDatabase(url = serverUrl()): Promise<ScratchDatabase> {
  const name = `topology_${randomBytes(6).toString("hex")}`;
  await adminQuery(url, `create database ${name}`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });
  // pool.end() resolves before its sockets have closed; `drop ... with (force)` may then end a
  // closing connection, which the pool reports as an error: expected, not a failure.
  pool.on("error", () => {});
  return {
    name,
    url: dbUrl.toString(),
    pool,
    async drop() {
      await pool.end();
      await adminQuery(url, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
