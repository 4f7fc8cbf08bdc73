// `npm run migrate` applies pending migrations; `npm run migrate -- down [n]` reverts the last
// one (or n). Uses DATABASE_URL, or the embedded database in DATA_DIR when it is unset.
import { loadDatabaseConfig, loadEnvFile } from "../config.js";
import { startEmbeddedPostgres } from "./embedded.js";
import { migrate } from "./migrate.js";

const USAGE = "usage: npm run migrate [-- up [count] | -- down [count]]";

function parseArgs(args: string[]): { direction: "up" | "down"; count: number | undefined } {
  const [direction = "up", countArg, ...rest] = args;
  if ((direction !== "up" && direction !== "down") || rest.length > 0) throw new Error(USAGE);
  if (countArg === undefined) return { direction, count: undefined };
  const count = Number(countArg);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`count must be a positive whole number\n${USAGE}`);
  return { direction, count };
}

async function main(): Promise<void> {
  const { direction, count } = parseArgs(process.argv.slice(2));
  loadEnvFile();
  const config = loadDatabaseConfig();

  const run = async (databaseUrl: string) => {
    const ran = await migrate({ databaseUrl, direction, ...(count ? { count } : {}) });
    console.log(ran.length > 0 ? `${direction}: ${ran.join(", ")}` : "Nothing to migrate.");
  };
  if (config.databaseUrl) return run(config.databaseUrl);

  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
  try {
    await run(embedded.url);
  } finally {
    await embedded.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
