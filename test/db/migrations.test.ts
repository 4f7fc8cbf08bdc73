import { promisify } from "node:util";
import connectPgSimple from "connect-pg-simple";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate } from "../../app/db/migrate.js";
import session from "../../app/session/index.js";
import { testDatabaseUrl } from "../helpers/database.js";
import { runSql, silentMigrationLog } from "../helpers/test-schema.js";

// The shared database may be the CI's persistent one: everything happens in a schema of this
// file's own, dropped at the end, so `public` is never touched.
const schema = `migrations_test_${process.pid}`;
const url = testDatabaseUrl();
const run = (direction: "up" | "down", count?: number) =>
  migrate({
    databaseUrl: url,
    direction,
    schema,
    log: silentMigrationLog,
    ...(count ? { count } : {}),
  });

let pool: pg.Pool;

async function tablesInSchema(): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = $1 order by table_name",
    [schema],
  );
  return rows.map((row) => row.table_name);
}

async function columns(table: string): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ column_name: string; type: string; is_nullable: string }>(
    `select column_name, format_type(atttypid, atttypmod) as type, is_nullable
       from information_schema.columns c
       join pg_attribute a on a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass
                           and a.attname = c.column_name
      where table_schema = $1 and table_name = $2`,
    [schema, table],
  );
  return Object.fromEntries(
    rows.map((row) => [
      row.column_name,
      `${row.type}${row.is_nullable === "NO" ? " not null" : ""}`,
    ]),
  );
}

beforeAll(async () => {
  await runSql(url, `drop schema if exists ${schema} cascade`);
  pool = new pg.Pool({ connectionString: url, max: 1 });
});

afterAll(async () => {
  await pool.end();
  // The runner set the search path; on PGlite (one backend) it would outlive its connection.
  await runSql(url, `drop schema if exists ${schema} cascade; reset search_path`);
});

describe("migrations", () => {
  let applied: string[] = [];

  test("up applies every migration, in order", async () => {
    applied = await run("up");
    expect(applied.slice(0, 2)).toEqual(["001_users", "002_session"]);
    expect(await tablesInSchema()).toEqual(
      expect.arrayContaining(["pgmigrations", "session", "users"]),
    );
  });

  test("users: email is unique whatever its case", async () => {
    expect(await columns("users")).toMatchObject({
      id: "bigint not null",
      email: expect.stringMatching(/citext not null$/),
      // Nullable since 007_oidc: an account made by a provider sign-in has no password.
      password_hash: expect.stringMatching(/^text/),
      created_at: "timestamp with time zone not null",
      updated_at: "timestamp with time zone not null",
    });
    const insert = (email: string) =>
      pool.query(`insert into ${schema}.users (email, password_hash) values ($1, 'x')`, [email]);
    await insert("Ann@Example.com");
    await expect(insert("ann@example.COM")).rejects.toMatchObject({ code: "23505" });
  });

  test("session: the table connect-pg-simple expects, usable by it", async () => {
    expect(await columns("session")).toEqual({
      sid: "character varying not null",
      sess: "json not null",
      expire: "timestamp(6) without time zone not null",
    });
    const { rows } = await pool.query(
      "select indexname from pg_indexes where schemaname = $1 and tablename = 'session'",
      [schema],
    );
    expect(rows.map((row) => row.indexname).sort()).toEqual(
      expect.arrayContaining(["IDX_session_expire", "session_pkey"]),
    );

    const PgStore = connectPgSimple(session);
    const store = new PgStore({
      pool,
      schemaName: schema,
      tableName: "session",
      createTableIfMissing: false,
      pruneSessionInterval: false,
    });
    const expires = new Date(Date.now() + 60_000).toISOString();
    await new Promise<void>((resolve, reject) =>
      store.set("sid-1", { cookie: { expires }, views: 3 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    const loaded = await promisify(store.get.bind(store))("sid-1");
    expect(loaded).toMatchObject({ views: 3 });
    await store.close();
  });

  test("up again finds nothing to do", async () => {
    expect(await run("up")).toEqual([]);
  });

  test("down reverts only the last migration", async () => {
    const last = applied.at(-1);
    expect(await run("down")).toEqual([last]);
    expect(await run("up")).toEqual([last]);
  });

  test("down all the way leaves no tables but the bookkeeping, and up works again", async () => {
    const reverted = await run("down", applied.length);
    expect(reverted).toEqual([...applied].reverse());
    expect(await tablesInSchema()).toEqual(["pgmigrations"]);

    expect(await run("up")).toEqual(applied);
    expect(await tablesInSchema()).toEqual(expect.arrayContaining(["session", "users"]));
  });
});
