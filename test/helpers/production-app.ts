import type { ImageTree } from "./image-tree.js";
import {
  assertRunning,
  baseEnv,
  type ProcessGroup,
  type StartedProcess,
  waitUntil,
} from "./processes.js";

export const PRODUCTION_SECRET = "topology-test-secret-of-at-least-32-characters";
/** 32 bytes, base64: production requires a DATA_ENCRYPTION_KEY. */
export const PRODUCTION_DATA_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

/** What docker-compose.yml's `migrate` service runs in the image (compose-config.test.ts). */
export const MIGRATE_COMMAND = ["node", "dist/app/db/migrate-cli.js"];

export interface AppInstance {
  process: StartedProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
}

/**
 * The image's CMD run as a local process in the image tree, with the environment docker-compose
 * gives the `app` service (production, one trusted proxy hop), except that it listens on
 * 127.0.0.1 on a free port, logs at info (a line per request, so a test can see which instance
 * served what) and `env` overrides. Resolves once /readyz answers 200.
 */
export async function startAppInstance(
  group: ProcessGroup,
  tree: ImageTree,
  name: string,
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
): Promise<AppInstance> {
  const settings: Record<string, string | undefined> = {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: "0",
    TRUST_PROXY: "1",
    DATABASE_URL: databaseUrl,
    SESSION_SECRET: PRODUCTION_SECRET,
    DATA_ENCRYPTION_KEY: PRODUCTION_DATA_ENCRYPTION_KEY,
    APP_URL: "https://localhost",
    LOG_LEVEL: "info",
    ...env,
  };
  const defined = Object.fromEntries(
    Object.entries(settings).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const [command = "", ...args] = tree.cmd;
  const app = group.start(name, command === "node" ? process.execPath : command, args, {
    cwd: tree.dir,
    env: baseEnv(tree.dir, defined),
  });
  const url = await waitUntil(`${name} to listen`, () => {
    assertRunning(app);
    return /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"listening on /.exec(app.output())?.[1];
  });
  await waitUntil(`${name} to be ready`, async () => {
    assertRunning(app);
    const res = await fetch(`${url}/readyz`);
    return res.status === 200 ? true : undefined;
  });
  return { process: app, url, port: Number(new URL(url).port) };
}

/** The request log lines (pino-http) an instance wrote since `from` (an output length). */
export function requestLines(app: AppInstance, from = 0): Array<Record<string, unknown>> {
  return app.process
    .output()
    .slice(from)
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"msg":"request completed"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
