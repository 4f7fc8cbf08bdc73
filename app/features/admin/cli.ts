// `npm run users -- promote|demote|lock|unlock|sign-out <email>` and `npm run users -- list`: the
// admin area's command line, the only way to make an administrator. Uses DATABASE_URL, or the
// embedded database in DATA_DIR when it is unset and no app is running on it.
import pg from "pg";
import { loadDatabaseConfig, loadEnvFile } from "../../config.js";
import { DataDirLockedError } from "../../db/data-dir-lock.js";
import { startEmbeddedPostgres } from "../../db/embedded.js";
import { migrate } from "../../db/migrate.js";
import { type CommandResult, runCommand, USAGE } from "./commands.js";

const quiet = { info() {}, warn() {}, error() {} };

async function withDatabase(work: (pool: pg.Pool) => Promise<CommandResult>) {
  loadEnvFile();
  const config = loadDatabaseConfig();
  const onPool = async (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      return await work(pool);
    } finally {
      await pool.end();
    }
  };
  if (config.databaseUrl) return onPool(config.databaseUrl);
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      throw new Error(
        `The app (process ${error.pid}) is running on the embedded database in ${error.dataDir}: ` +
          "stop it first, then run this again (the embedded database takes one process at a time).",
      );
    }
    throw error;
  }
  try {
    // As the app does outside production: an embedded database is brought up to date first.
    await migrate({ databaseUrl: embedded.url, direction: "up", log: quiet });
    return await onPool(embedded.url);
  } finally {
    await embedded.stop();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 0 || args[0] === "help" || args[0] === "--help") {
    console.log(USAGE);
    return;
  }
  const result = await withDatabase((pool) => runCommand(pool, args));
  for (const line of result.lines) console.log(line);
  if (!result.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
