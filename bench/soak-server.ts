/**
 * The app under soak (bench/soak.ts starts it as a child process): the real server
 * (app/server.ts's startServer: config, migrations, Pool, session store with its prune timer,
 * createApp) on DATABASE_URL, with two settings finer than the environment allows, so that
 * sessions expire and are pruned within a short run:
 *
 *   SOAK_IDLE_SECONDS   the session idle timeout (the environment only takes whole minutes)
 *   SOAK_PRUNE_SECONDS  how often expired sessions are deleted
 *
 * IPC, bench only (nothing is added to the app's routes):
 *   child -> parent  { type: "ready", url }
 *   parent -> child  { type: "stats" }   child -> parent  { type: "stats", memory }
 *   parent -> child  { type: "stop" }    graceful close, then exit 0
 */
import { loadConfig } from "../app/config.js";
import { createLogger } from "../app/logger.js";
import { startServer } from "../app/server.js";

export interface SoakStats {
  type: "stats";
  /** process.memoryUsage() after a full GC (the child runs with --expose-gc). */
  memory: NodeJS.MemoryUsage;
  uptimeSeconds: number;
}

export type SoakMessage = { type: "ready"; url: string } | SoakStats;

const seconds = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value * 1000;
};

const { config } = loadConfig();
const running = await startServer(
  {
    ...config,
    sessionIdleTimeoutMs: seconds("SOAK_IDLE_SECONDS", 20),
    sessionPruneIntervalMs: seconds("SOAK_PRUNE_SECONDS", 5),
  },
  createLogger({ level: config.logLevel }),
);

const send = (message: SoakMessage) => process.send?.(message);
send({ type: "ready", url: running.url });

process.on("message", (message: { type?: string }) => {
  if (message.type === "stats") {
    (globalThis as { gc?: () => void }).gc?.();
    send({ type: "stats", memory: process.memoryUsage(), uptimeSeconds: process.uptime() });
  } else if (message.type === "stop") {
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
});
// The parent went away without saying stop: do not linger.
process.on("disconnect", () => {
  void running.close().finally(() => process.exit(0));
});
