import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

/** A process a test started: its output so far, how it ended, and how to stop it by PID. */
export interface StartedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they came. */
  output(): string;
  /** Resolves once the process is gone: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  cwd: string;
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
}

/** Starts `command` with exactly the environment given, collecting its output. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: StartOptions,
): StartedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));

  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid: child.pid,
    child,
    output: () => output,
    exited,
    async stop(graceMs = 5_000) {
      if (running()) child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (running()) child.kill("SIGKILL");
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Processes started together and stopped together, even those that never became ready. */
export class ProcessGroup {
  readonly processes: StartedProcess[] = [];

  start(name: string, command: string, args: string[], options: StartOptions): StartedProcess {
    const started = startProcess(name, command, args, options);
    this.processes.push(started);
    return started;
  }

  /** Stops every process still running (SIGTERM, then SIGKILL after `graceMs`). */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(this.processes.map((started) => started.stop(graceMs)));
  }
}

/** Runs a command to its end (bounded by `timeoutMs`) and returns its exit code and output. */
export async function runToEnd(
  command: string,
  args: string[],
  options: StartOptions & { timeoutMs?: number },
): Promise<{ code: number | null; output: string }> {
  const started = startProcess(command, command, args, options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void started.stop(2_000);
  }, timeoutMs);
  const { code } = await started.exited.finally(() => clearTimeout(timer));
  if (timedOut) throw new Error(`${command} ${args.join(" ")}: no end within ${timeoutMs} ms`);
  return { code, output: started.output() };
}

/** Thrown by a waitUntil probe to stop waiting at once (e.g. the process being waited on died). */
export class GaveUp extends Error {
  override name = "GaveUp";
}

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined, failing
 * after `timeoutMs` with `what` and the last error the probe threw (at once for GaveUp).
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof GaveUp) throw error;
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
}

/** A TCP port that was free on 127.0.0.1 a moment ago (for programs that cannot take port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** The minimal environment a child needs to find its tools, plus `env`. */
export function baseEnv(home: string, env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...env };
}

/** Throws GaveUp with the process's output if it has ended (for waitUntil probes). */
export function assertRunning(started: StartedProcess): void {
  const { exitCode, signalCode } = started.child;
  if (exitCode !== null || signalCode !== null) {
    throw new GaveUp(`${started.name} exited (${exitCode ?? signalCode}):\n${started.output()}`);
  }
}
