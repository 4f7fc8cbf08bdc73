import { execFile } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { isAlive } from "../../app/db/data-dir-lock.js";
import { makeTempDir } from "./temp-dir.js";

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own: a fresh cluster (initdb) in a temp dir, on a free port
 * of 127.0.0.1, which the test can stop, pause and start again. Needs the server binaries
 * (initdb, pg_ctl, postgres). initdb refuses to run as root, so as root every command runs as
 * the `postgres` OS user (runuser), which then owns the temp dir.
 */

export interface PostgresBinaries {
  bindir: string;
  /** The OS user to run the binaries as (when we are root), or undefined for ourselves. */
  runAs: string | undefined;
}

/** PG_BINDIR if set (only there); else where Debian puts them, newest version first, then PATH. */
function candidateBindirs(): string[] {
  if (process.env.PG_BINDIR) return [process.env.PG_BINDIR];
  const dirs: string[] = [];
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((version) => join(debian, version, "bin")));
  }
  dirs.push(...(process.env.PATH ?? "").split(delimiter).filter(Boolean));
  return dirs;
}

function userExists(name: string): boolean {
  try {
    return readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .some((line) => line.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/**
 * The binaries, or why they cannot be used here (a sentence for `test.skipIf`'s title).
 */
export function findPostgresBinaries(): PostgresBinaries | { missing: string } {
  const bindir = candidateBindirs().find((dir) =>
    ["initdb", "pg_ctl", "postgres"].every((bin) => existsSync(join(dir, bin))),
  );
  if (!bindir) {
    return {
      missing:
        "the PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed: set PG_BINDIR or install PostgreSQL",
    };
  }
  if (process.getuid?.() !== 0) return { bindir, runAs: undefined };
  const runuser = (process.env.PATH ?? "")
    .split(delimiter)
    .some((dir) => existsSync(join(dir, "runuser")));
  if (!runuser || !userExists("postgres")) {
    return {
      missing:
        "running as root, and initdb refuses root: needs `runuser` and a `postgres` OS user to run it as",
    };
  }
  return { bindir, runAs: "postgres" };
}

/**
 * Whether a missing binary must fail the run instead of skipping: in CI (CI is set) or when asked
 * (REQUIRE_POSTGRES_BINARIES=1), the tests that need a server of their own must run.
 */
export const postgresBinariesRequired =
  Boolean(process.env.CI) || process.env.REQUIRE_POSTGRES_BINARIES === "1";

/** pause() finds the server's backends in /proc (Linux). */
export const canPauseCluster = existsSync("/proc/self/stat");

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The PIDs whose parent is `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  if (!existsSync("/proc")) return [];
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

export class TempCluster {
  readonly url: string;
  readonly #dir: ReturnType<typeof makeTempDir>;
  readonly #binaries: PostgresBinaries;
  readonly #dataDir: string;
  #pid: number | undefined;
  /** The processes pause() stopped, for resume(). */
  #paused: number[] = [];

  private constructor(
    binaries: PostgresBinaries,
    dir: ReturnType<typeof makeTempDir>,
    readonly port: number,
  ) {
    this.#binaries = binaries;
    this.#dir = dir;
    this.#dataDir = join(dir.path, "data");
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** initdb in a new temp dir (trust auth, no fsync: a throw-away cluster). Not started yet. */
  static async create(binaries: PostgresBinaries): Promise<TempCluster> {
    const dir = makeTempDir("pg-cluster");
    try {
      if (binaries.runAs) {
        const { stdout } = await run("id", ["-u", binaries.runAs]);
        const { stdout: gid } = await run("id", ["-g", binaries.runAs]);
        chownSync(dir.path, Number(stdout.trim()), Number(gid.trim()));
      }
      const cluster = new TempCluster(binaries, dir, await freePort());
      await cluster.#run("initdb", [
        "-D",
        cluster.#dataDir,
        "-U",
        "postgres",
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
      ]);
      return cluster;
    } catch (error) {
      dir.remove();
      throw error;
    }
  }

  #run(bin: string, args: string[]) {
    const path = join(this.#binaries.bindir, bin);
    const [command, argv] = this.#binaries.runAs
      ? ["runuser", ["-u", this.#binaries.runAs, "--", path, ...args]]
      : [path, args];
    return run(command, argv, { cwd: this.#dir.path, timeout: 60_000 });
  }

  /** The postmaster's PID while it runs (first line of postmaster.pid). */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** Starts the server (same data dir, same port every time) and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.#dir.path}`,
      "-c listen_addresses=127.0.0.1",
      "-c fsync=off",
      "-c full_page_writes=off",
    ].join(" ");
    await this.#run("pg_ctl", [
      "-D",
      this.#dataDir,
      "-l",
      join(this.#dir.path, "server.log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
    const pid = Number(readFileSync(join(this.#dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error("postmaster.pid has no PID");
    this.#pid = pid;
  }

  /**
   * Stops the server by its PID. "fast" (SIGINT): active transactions are rolled back and
   * clients disconnected, then a clean shutdown; "immediate" (SIGQUIT): a crash, recovered at
   * the next start. Waits (at most 30 s) until the process is gone.
   */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    const pid = this.#pid;
    if (pid === undefined) return;
    this.resume();
    process.kill(pid, mode === "fast" ? "SIGINT" : "SIGQUIT");
    for (let waited = 0; isAlive(pid); waited += 50) {
      if (waited > 30_000) throw new Error(`postgres ${pid} did not stop`);
      await sleep(50);
    }
    this.#pid = undefined;
  }

  /**
   * A hung server: SIGSTOP the postmaster and every backend, so connections are accepted by the
   * kernel but nothing answers.
   */
  pause(): void {
    const pid = this.#pid;
    if (pid === undefined) throw new Error("not running");
    this.#paused = [pid, ...childPids(pid)];
    for (const each of this.#paused) process.kill(each, "SIGSTOP");
  }

  resume(): void {
    for (const each of this.#paused.splice(0)) {
      try {
        process.kill(each, "SIGCONT");
      } catch {
        // Already gone.
      }
    }
  }

  /** The server's own log so far (for a failing test's message). */
  log(): string {
    try {
      return readFileSync(join(this.#dir.path, "server.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** Stops the server if it runs (immediate: nothing to keep) and deletes the cluster. */
  async remove(): Promise<void> {
    try {
      await this.stop("immediate");
    } finally {
      this.#dir.remove();
    }
  }
}
