/**
 * `npm run bench:admin`: /admin's user list and search on 200 users, then on 200,000, as an
 * administrator sees it over HTTP (the app as createApp builds it, its features included). A
 * benchmark, not a test: it prints a table (median and p95 per page, and the ratio big/small)
 * and each query's plan, and exits 0 unless it crashed.
 *
 * On DATABASE_URL when set, else an embedded Postgres in memory; a schema of its own, dropped
 * at the end. The users are seeded with generate_series SQL (one shared argon2 hash).
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { createApp } from "../app/app.js";
import { hashPassword } from "../app/auth/passwords.js";
import { loadConfig } from "../app/config.js";
import { startEmbeddedPostgres } from "../app/db/embedded.js";
import { migrate } from "../app/db/migrate.js";
import { createSessionStore } from "../app/db/session-store.js";
import { createLogger } from "../app/logger.js";
import { envNumber } from "./env.js";
import { percentile } from "./load.js";

const SMALL = 200;
const BIG = envNumber("ADMIN_BENCH_USERS", 200_000, 1_000, 5_000_000);
const REQUESTS = envNumber("ADMIN_BENCH_REQUESTS", 200, 10, 10_000);
const PASSWORD = "a long passphrase for the bench";
const SCHEMA = `bench_admin_${process.pid}`;
const quiet = { info() {}, warn() {}, error() {} };

/** The pages measured: the first page, a common prefix, a rare one, none, a page deep down. */
const pages = (deepId: string) => ({
  "first page": "/admin",
  "prefix 'user1'": "/admin?q=user1",
  "prefix 'user19999'": "/admin?q=USER19999",
  "prefix with no match": "/admin?q=zzz",
  "a page deep down (keyset)": `/admin?after=${deepId}`,
});

async function main() {
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({});
  const url = process.env.DATABASE_URL ?? (embedded?.url as string);
  await migrate({ databaseUrl: url, direction: "up", schema: SCHEMA, log: quiet });
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    onConnect: async (client) => {
      await client.query(`set search_path to ${SCHEMA}, public`);
    },
  });
  const { config } = loadConfig({
    env: {
      NODE_ENV: "test",
      DATABASE_URL: url,
      SESSION_SECRET: "a bench secret that is long enough to be accepted",
      DATA_ENCRYPTION_KEY: "0".repeat(64),
      LOG_LEVEL: "silent",
      SESSION_PRUNE_INTERVAL_MINUTES: "0",
    },
  });
  const logger = createLogger({ level: "silent" });
  const store = createSessionStore(pool, config, logger);
  const server = createServer(createApp({ config, pool, logger, sessionStore: store }));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const hash = await hashPassword(PASSWORD);
  try {
    const seed = async (from: number, to: number) =>
      pool.query(
        `insert into users (email, password_hash, created_at)
         select 'user' || n || '@example.com', $1, now() - (n || ' seconds')::interval
           from generate_series($2::int, $3::int) as n`,
        [hash, from, to],
      );
    await seed(1, SMALL - 1);
    await pool.query(
      "insert into users (email, password_hash, role) values ('admin@example.com', $1, 'admin')",
      [hash],
    );
    const cookie = await logIn(base);
    const small = await measure(base, cookie, pool);
    await seed(SMALL, BIG);
    await pool.query("analyze users");
    const big = await measure(base, cookie, pool);
    console.log(`\n/admin as an administrator: ${REQUESTS} requests per page, one at a time\n`);
    console.log(
      "| page | median, 200 users | median, " +
        BIG.toLocaleString("en") +
        " users | p95, 200 | p95, big | ratio (median) |",
    );
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const name of Object.keys(small.times)) {
      const s = small.times[name] as number[];
      const b = big.times[name] as number[];
      const ms = (value: number) => `${value.toFixed(2)} ms`;
      console.log(
        `| ${name} | ${ms(percentile(s, 50))} | ${ms(percentile(b, 50))} | ${ms(percentile(s, 95))} | ${ms(percentile(b, 95))} | ${(percentile(b, 50) / percentile(s, 50)).toFixed(2)} |`,
      );
    }
    console.log("\nPlans on the big table (the prefix search reads IDX_users_email_prefix):\n");
    for (const [name, plan] of Object.entries(big.plans)) console.log(`${name}:\n${plan}\n`);
  } finally {
    server.close();
    await store.close?.();
    await pool.query(`drop schema ${SCHEMA} cascade`).catch(() => {});
    await pool.end();
    await embedded?.stop();
  }
}

async function logIn(base: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  const csrf = form.headers.getSetCookie().map((c) => c.split(";")[0]);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
  const reply = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrf.join("; ") },
    body: new URLSearchParams({ _csrf: token, email: "admin@example.com", password: PASSWORD }),
  });
  const sid = reply.headers
    .getSetCookie()
    .map((c) => c.split(";")[0] as string)
    .find((c) => c.startsWith("sid="));
  if (reply.status !== 303 || !sid) throw new Error(`login: ${reply.status}`);
  return sid;
}

async function measure(base: string, cookie: string, pool: pg.Pool) {
  const { rows } = await pool.query<{ id: string }>(
    "select id::text from users order by id desc offset (select count(*) / 2 from users) limit 1",
  );
  const times: Record<string, number[]> = {};
  const plans: Record<string, string> = {};
  for (const [name, path] of Object.entries(pages(rows[0]?.id ?? "1"))) {
    const list: number[] = [];
    for (let i = 0; i < REQUESTS + 5; i++) {
      const started = performance.now();
      const reply = await fetch(base + path, { headers: { cookie, accept: "application/json" } });
      await reply.text();
      if (reply.status !== 200) throw new Error(`${path}: ${reply.status}`);
      if (i >= 5) list.push(performance.now() - started);
    }
    times[name] = list;
    const q = new URL(path, base).searchParams.get("q") ?? "";
    const plan = await pool.query<{ "QUERY PLAN": string }>(
      `explain select id from users where ($1 = '' or lower(email::text) like $2)
         order by users.id desc limit 26`,
      [q, `${q.toLowerCase()}%`],
    );
    plans[name] = plan.rows.map((row) => `  ${row["QUERY PLAN"]}`).join("\n");
  }
  return { times, plans };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
