import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hashPassword } from "../../../app/auth/passwords.js";
import { lockDataDir } from "../../../app/db/data-dir-lock.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../../app/db/embedded.js";
import { migrate } from "../../../app/db/migrate.js";
import { projectRoot } from "../../../app/paths.js";
import { makeTempDir } from "../../helpers/temp-dir.js";
import { silentMigrationLog } from "../../helpers/test-schema.js";

/**
 * `npm run users -- ...` as a person runs it: a child process running what the npm script runs
 * (scripts/users.mjs), against the embedded database in a temp DATA_DIR, and against a server
 * named by DATABASE_URL.
 */
async function usersCli(cwd: string, env: Record<string, string>, ...args: string[]) {
  const child = spawn(process.execPath, [join(projectRoot, "scripts", "users.mjs"), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = await once(child, "exit");
  return { status: code as number | null, output };
}

/** The story both databases must tell the same way. */
async function everyCommand(
  run: (...args: string[]) => Promise<{ status: number | null; output: string }>,
  query: <T extends pg.QueryResultRow>(sql: string, values?: unknown[]) => Promise<T[]>,
) {
  const listed = await run("list");
  expect(listed.status, listed.output).toBe(0);
  expect(listed.output).toMatch(/ann@example\.com\tuser/);

  const promoted = await run("promote", "ANN@example.com");
  expect(promoted.status, promoted.output).toBe(0);
  expect(promoted.output).toContain("ann@example.com is now an admin.");
  expect(await query("select role from users where email = 'ann@example.com'")).toEqual([
    { role: "admin" },
  ]);
  expect((await run("promote", "ann@example.com")).output).toContain("already an admin");

  // A session of Bob's, as the app stores it: lock ends it and marks him.
  await query(
    `insert into session (sid, sess, expire) select 'k1', json_build_object('passport',
       json_build_object('user', id::text)), now() + interval '1 hour' from users where email = 'bob@example.com'`,
  );
  const locked = await run("lock", "bob@example.com");
  expect(locked.status, locked.output).toBe(0);
  expect(locked.output).toContain("bob@example.com is locked");
  expect(await query("select count(*)::int as n from session")).toEqual([{ n: 0 }]);
  expect(
    await query(
      "select locked_at is not null as locked from users where email = 'bob@example.com'",
    ),
  ).toEqual([{ locked: true }]);
  expect((await run("list")).output).toMatch(/bob@example\.com\tuser\tlocked since/);

  const unlocked = await run("unlock", "bob@example.com");
  expect(unlocked.output).toContain("bob@example.com is unlocked");
  const signedOut = await run("sign-out", "bob@example.com");
  expect(signedOut.output).toContain("bob@example.com is signed out");
  const demoted = await run("demote", "ann@example.com");
  expect(demoted.output).toContain("no longer an admin");

  const unknown = await run("promote", "nobody@example.com");
  expect(unknown.status).toBe(1);
  expect(unknown.output).toContain("No user has the address nobody@example.com.");
  const wrong = await run("crown", "ann@example.com");
  expect(wrong.status).toBe(1);
  expect(wrong.output).toContain("usage: npm run users");

  // Each change is in the audit trail, by the command line.
  const audit = await query<{ action: string; actor_email: string }>(
    "select action, actor_email from admin_audit order by id",
  );
  expect(audit.map((row) => row.action)).toEqual([
    "promote",
    "lock",
    "unlock",
    "sign-out",
    "demote",
  ]);
  expect(new Set(audit.map((row) => row.actor_email))).toEqual(new Set(["command line"]));
}

async function seed(url: string) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const hash = await hashPassword("a long passphrase for both");
    await client.query(
      "insert into users (email, password_hash) values ('ann@example.com', $1), ('bob@example.com', $1)",
      [hash],
    );
  } finally {
    await client.end();
  }
}

async function queryOn<T extends pg.QueryResultRow>(url: string, sql: string, values?: unknown[]) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

let dir: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  dir = makeTempDir("users-cli-test");
});
afterAll(() => dir.remove());

describe("npm run users", () => {
  test("on the embedded database in DATA_DIR (brought up to date first)", async () => {
    const env = { DATA_DIR: join(dir.path, "pg") };
    const run = (...args: string[]) => usersCli(dir.path, env, ...args);
    // The first run makes and migrates the database; there is nobody yet.
    const empty = await run("list");
    expect(empty.status, empty.output).toBe(0);
    expect(empty.output).toContain("No users yet.");
    // Between runs the folder is free: the test opens it itself to look.
    const open = async <T extends pg.QueryResultRow>(sql: string, values?: unknown[]) => {
      const embedded = await startEmbeddedPostgres({ dataDir: env.DATA_DIR });
      try {
        return await queryOn<T>(embedded.url, sql, values);
      } finally {
        await embedded.stop();
      }
    };
    const embedded = await startEmbeddedPostgres({ dataDir: env.DATA_DIR });
    await seed(embedded.url).finally(() => embedded.stop());
    // Each run opens the folder anew (a few seconds each): the commands' story is told once,
    // on DATABASE_URL below; here, that a change made by one run is on disk for the next.
    const promoted = await run("promote", "ann@example.com");
    expect(promoted.status, promoted.output).toBe(0);
    expect(promoted.output).toContain("ann@example.com is now an admin.");
    expect(await open("select role from users where email = 'ann@example.com'")).toEqual([
      { role: "admin" },
    ]);
    expect((await run("list")).output).toMatch(/ann@example\.com\tadmin/);
  }, 180_000);

  test("refuses clearly while an app holds the embedded database's folder", async () => {
    const dataDir = join(dir.path, "held");
    // This test's process stands for the running app: it holds the folder's lock.
    const release = lockDataDir(dataDir);
    try {
      const result = await usersCli(dir.path, { DATA_DIR: dataDir }, "list");
      expect(result.status).toBe(1);
      expect(result.output).toContain(
        `The app (process ${process.pid}) is running on the embedded database`,
      );
      expect(result.output).toContain("stop it first");
    } finally {
      release();
    }
  }, 60_000);

  describe("on the server DATABASE_URL names", () => {
    let server: EmbeddedPostgres;
    beforeAll(async () => {
      // A Postgres server of its own (the test database's public schema is the suite's).
      server = await startEmbeddedPostgres({});
      await migrate({ databaseUrl: server.url, direction: "up", log: silentMigrationLog });
      await seed(server.url);
    });
    afterAll(() => server.stop());

    test("every command, on DATABASE_URL", async () => {
      const run = (...args: string[]) => usersCli(dir.path, { DATABASE_URL: server.url }, ...args);
      await everyCommand(run, (sql, values) => queryOn(server.url, sql, values));
    }, 180_000);
  });
});
