import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../../app/paths.js";
import { TEST_DATA_ENCRYPTION_KEY, TEST_SECRET } from "./test-config.js";

export interface ChildServer {
  process: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the address from the "listening on" log line (its `url` field). */
  listening(): Promise<string>;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited(): Promise<number | string>;
}

// tsx's loader in the node process itself (what the `tsx` command sets up in a child): one
// process, so the signals a test sends reach the server directly, and its PID is the server's.
const TSX_LOADER = pathToFileURL(
  join(projectRoot, "node_modules", "tsx", "dist", "loader.mjs"),
).href;
const SERVER = join(projectRoot, "app", "server.ts");

/**
 * app/server.ts as its own process, run through tsx as `npm run dev` does. It runs in `cwd`
 * (a temp dir: no .env or .session-secret of the repo), with only the variables given here:
 * no DATABASE_URL, so the embedded server in DATA_DIR.
 */
export function spawnServer(cwd: string, env: Record<string, string>): ChildServer {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, SERVER], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? cwd,
      NODE_ENV: "development",
      PORT: "0",
      LOG_LEVEL: "info",
      SESSION_SECRET: TEST_SECRET,
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      SESSION_PRUNE_INTERVAL_MINUTES: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);

  return {
    process: child,
    output: () => output,
    exited: () => exit,
    async listening() {
      const found = () => /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening on /.exec(output)?.[1];
      while (!found()) {
        if (child.exitCode !== null) throw new Error(`server exited before listening:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return found() as string;
    },
  };
}
