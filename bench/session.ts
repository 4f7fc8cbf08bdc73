/**
 * `npm run bench`: session middleware throughput, ours (app/session) against express-session, on
 * MemoryStore and on connect-pg-simple over a real Postgres, plus bare Express 5.
 *
 * Each server runs as a child process (bench/server.ts) pinned to one core; autocannon runs here,
 * with this process pinned to the other core. See bench/README.md for the method and knobs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { buildServer } from "./build.js";
import { envNumber } from "./env.js";
import { type LoadResult, percentile, runLoad } from "./load.js";
import {
  BENCH_TABLE,
  DEFAULT_DATABASE_URL,
  isReadyMessage,
  type Route,
  type ServerStats,
  type StoreKind,
} from "./protocol.js";
import { type BenchConfig, type Measurement, renderReport, type Variant } from "./report.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
/** bench/server.ts and app/session compiled to JavaScript (bench/build.ts), set by main(). */
let serverScript = "";

const config: BenchConfig = {
  duration: envNumber("BENCH_DURATION", 8, 1, 120),
  warmup: envNumber("BENCH_WARMUP", 2, 0, 60),
  connections: envNumber("BENCH_CONNECTIONS", 50, 1, 1000),
  slice: envNumber("BENCH_SLICE", 1, 0.5, 120),
  touchAfter: envNumber("BENCH_TOUCH_AFTER", 60_000, 1, 86_400_000),
  nice: envNumber("BENCH_NICE", -10, -20, 19),
  serverCpu: process.env.BENCH_SERVER_CPU ?? "0",
  loadCpu: process.env.BENCH_LOAD_CPU ?? "1",
  databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  pinned: false,
  niced: false,
};
/** Only the groups whose name matches (e.g. `pg-rolling`), for profiling or a quick look. */
const groupFilter = process.env.BENCH_FILTER ? new RegExp(process.env.BENCH_FILTER) : undefined;
/** Directory for `node --cpu-prof` profiles of the server children. */
const cpuProfDir = process.env.BENCH_CPU_PROF;

interface Group {
  name: string;
  variants: Variant[];
  routes: Route[];
}

function sessionVariants(store: StoreKind, rolling: boolean): Variant[] {
  const variants: Variant[] = [
    { impl: "ours", store, rolling },
    { impl: "express-session", store, rolling },
  ];
  // Bare Express takes its turns with the MemoryStore /read rows it is compared with.
  if (store === "memory") variants.push({ impl: "bare", store, rolling, routes: ["read"] });
  // touchAfter is ours only; it matters where every read would otherwise touch the store.
  // The ceiling for a session read from Postgres takes its turns with the pg /read rows.
  if (store === "pg") variants.push({ impl: "ceiling", store, rolling, routes: ["read"] });
  if (store === "pg" && rolling) {
    // The ceiling plus only what any drop-in must do: how much of the gap is not ours to close.
    variants.push({ impl: "floor", store, rolling, routes: ["read"] });
    variants.push({ impl: "ours", store, rolling, touchAfter: config.touchAfter });
    // The same, with sessions that were last written twice touchAfter ago (logged in a while
    // back), rather than moments before the run as everywhere else.
    variants.push({
      impl: "ours",
      store,
      rolling,
      touchAfter: config.touchAfter,
      agedSeconds: (2 * config.touchAfter) / 1000,
      routes: ["read"],
    });
  }
  return variants;
}

/** BENCH_ROUTES=read,write runs only those routes (bare Express runs only with /read). */
const ROUTES: Route[] = (["none", "read", "write"] as const).filter(
  (route) => !process.env.BENCH_ROUTES || process.env.BENCH_ROUTES.split(",").includes(route),
);
const allGroups: Group[] = [
  { name: "memory", variants: sessionVariants("memory", false), routes: ROUTES },
  { name: "memory-rolling", variants: sessionVariants("memory", true), routes: ROUTES },
  { name: "pg", variants: sessionVariants("pg", false), routes: ROUTES },
  { name: "pg-rolling", variants: sessionVariants("pg", true), routes: ROUTES },
];
const groups = allGroups.filter((group) => !groupFilter || groupFilter.test(group.name));

// ---- processes -------------------------------------------------------------------------------

const children = new Set<ChildProcess>();

function hasTaskset(): boolean {
  return spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
}

/**
 * Raises this process's priority (its main thread, where autocannon runs), like the servers',
 * so other work on a shared machine takes less of their cores. False if not permitted.
 */
function reniceSelf(): boolean {
  try {
    setPriority(config.nice);
    return getPriority() === config.nice;
  } catch {
    console.warn(`[bench] could not set niceness ${config.nice}: running at normal priority`);
    return false;
  }
}

/** Pins this process (all its threads: autocannon runs on the main one) to the load core. */
function pinSelf(): boolean {
  if (!hasTaskset()) {
    console.warn("[bench] taskset not found: server and load generator share all cores");
    return false;
  }
  const pinned = spawnSync("taskset", ["-a", "-cp", config.loadCpu, String(process.pid)], {
    stdio: "ignore",
  });
  if (pinned.status !== 0) console.warn(`[bench] could not pin to core ${config.loadCpu}`);
  return pinned.status === 0;
}

function serverFlags(variant: Variant): string[] {
  if (variant.impl === "bare") return ["--impl=bare"];
  if (variant.impl === "ceiling") return ["--impl=ceiling", "--store=pg"];
  if (variant.impl === "floor") return ["--impl=floor", "--store=pg"];
  const flags = [`--impl=${variant.impl}`, `--store=${variant.store}`];
  if (variant.rolling) flags.push("--rolling");
  if (variant.touchAfter !== undefined) flags.push(`--touch-after=${variant.touchAfter}`);
  return flags;
}

function variantName(variant: Variant): string {
  if (variant.impl === "bare") return "bare-express";
  if (variant.impl === "ceiling")
    return `ceiling-pg-select${variant.rolling ? "-rolling-group" : ""}`;
  if (variant.impl === "floor") return "floor-pg-select-drop-in-minimum";
  const touch = variant.touchAfter !== undefined ? `-touchAfter${variant.touchAfter}` : "";
  const aged = variant.agedSeconds !== undefined ? `-aged${variant.agedSeconds}s` : "";
  return `${variant.impl}-${variant.store}${variant.rolling ? "-rolling" : ""}${touch}${aged}`;
}

interface RunningServer {
  variant: Variant;
  child: ChildProcess;
  base: string;
}

/** Starts the compiled bench/server.ts on the server core and waits (bounded) for its port. */
function startServer(variant: Variant): Promise<RunningServer> {
  const nodeArgs = [
    // One directory per variant (node names the file itself, by time, pid and thread).
    ...(cpuProfDir
      ? ["--cpu-prof", `--cpu-prof-dir=${join(cpuProfDir, variantName(variant))}`]
      : []),
    serverScript,
    ...serverFlags(variant),
  ];
  // nice(1) warns and carries on at the normal priority when it may not raise it.
  const niced = ["nice", "-n", String(config.nice), process.execPath, ...nodeArgs];
  const [command, args] = config.pinned
    ? ["taskset", ["-c", config.serverCpu, ...niced]]
    : [niced[0], niced.slice(1)];
  const child = spawn(command as string, args as string[], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, NODE_ENV: "benchmark", DATABASE_URL: config.databaseUrl },
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("server did not report ready in 30 s")), 30_000);
    function fail(err: Error): void {
      clearTimeout(timer);
      void stopServer(child);
      reject(err);
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`server ${variantName(variant)} exited early (${code ?? signal})`));
    child.once("error", fail);
    child.once("exit", onExit);
    child.on("message", (message) => {
      if (!isReadyMessage(message)) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", fail);
      // From here a crash shows up as a failed request to the server.
      child.on("error", (err) => console.error(`[bench] server ${variantName(variant)}:`, err));
      child.once("exit", (code, signal) => {
        if (children.has(child))
          console.error(`[bench] server ${variantName(variant)} died (${code ?? signal})`);
      });
      resolve({ variant, child, base: `http://127.0.0.1:${message.port}` });
    });
  });
}

/** SIGTERM by PID, SIGKILL if it has not gone after 5 s. */
function stopServer(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return Promise.resolve();
  }
  const pid = child.pid;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
      resolve();
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

function killAllNow(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
    }
  }
  children.clear();
}

process.on("SIGINT", () => {
  console.error("\n[bench] interrupted: stopping servers");
  killAllNow();
  process.exit(130);
});
process.on("SIGTERM", () => {
  killAllNow();
  process.exit(143);
});

// ---- one route, all of a group's variants ---------------------------------------------------

async function http(url: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: HTTP ${res.status}`);
  return res;
}

async function stats(base: string): Promise<ServerStats> {
  return (await (await http(`${base}/__stats`)).json()) as ServerStats;
}

/** One new session per connection, each made by a request to the write route /__seed. */
async function seedSessions(base: string, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const res = await http(`${base}/__seed`);
      await res.arrayBuffer();
      const cookie = res.headers
        .getSetCookie()
        .map((header) => header.split(";")[0] ?? "")
        .find((pair) => pair.startsWith("connect.sid="));
      if (!cookie) throw new Error(`${base}/__seed set no session cookie`);
      return cookie;
    }),
  );
}

interface Tally extends LoadResult {
  latencies: number[];
  /** req/s of each turn, in order: turn k of every variant of the route ran in the same round. */
  turnRates: number[];
}

/**
 * Measures `route` on every server of the group. The run time of each is cut into slices that
 * take turns (A B B A A B ...), so a burst of load from elsewhere on the machine lands on all
 * variants alike instead of on whichever happened to be running.
 */
async function measureRoute(
  servers: RunningServer[],
  route: Route,
  shift: number,
): Promise<Measurement[]> {
  // Every reset before any seeding: with Postgres they share the one table.
  for (const server of servers) await http(`${server.base}/__reset`, { method: "POST" });
  const cookies: string[][] = [];
  for (const server of servers) {
    if (server.variant.impl === "ceiling" || server.variant.impl === "floor") {
      // Its one row; its clients send no cookie.
      await (await http(`${server.base}/__seed`)).arrayBuffer();
      cookies.push([]);
    } else {
      cookies.push(
        server.variant.impl === "bare" ? [] : await seedSessions(server.base, config.connections),
      );
    }
    const { agedSeconds } = server.variant;
    if (agedSeconds !== undefined) {
      await http(`${server.base}/__age?seconds=${agedSeconds}`, { method: "POST" });
    }
  }
  const load = (i: number, duration: number, latencies?: number[]) =>
    runLoad({
      url: `${(servers[i] as RunningServer).base}/${route}`,
      cookies: cookies[i] as string[],
      connections: config.connections,
      duration,
      ...(latencies ? { latencies } : {}),
    });

  if (config.warmup > 0) for (const i of servers.keys()) await load(i, config.warmup);
  const before = await Promise.all(servers.map((server) => stats(server.base)));
  const tallies: Tally[] = servers.map(() => ({
    total: 0,
    seconds: 0,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    latencies: [],
    turnRates: [],
  }));
  const slices = Math.max(1, Math.round(config.duration / config.slice));
  for (let slice = 0; slice < slices; slice++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (k + slice + shift) % servers.length;
      const tally = tallies[i] as Tally;
      const result = await load(i, config.duration / slices, tally.latencies);
      tally.total += result.total;
      tally.seconds += result.seconds;
      tally.non2xx += result.non2xx;
      tally.errors += result.errors;
      tally.timeouts += result.timeouts;
      tally.turnRates.push(result.seconds > 0 ? result.total / result.seconds : 0);
    }
  }
  const after = await Promise.all(servers.map((server) => stats(server.base)));

  return servers.map((server, i) => {
    const { latencies, ...tally } = tallies[i] as Tally;
    const b = before[i] as ServerStats;
    const a = after[i] as ServerStats;
    const served = a.requests - b.requests;
    const cpu = a.cpuMicros - b.cpuMicros;
    return {
      variant: server.variant,
      route,
      ...tally,
      rps: tally.total / tally.seconds,
      p99: percentile(latencies, 99),
      served,
      queriesPerRequest:
        server.variant.store === "pg" && served > 0 ? (a.queries - b.queries) / served : undefined,
      cpuPerRequest: served > 0 ? cpu / served : Number.NaN,
      cpuShare: cpu / (tally.seconds * 1e6),
    };
  });
}

async function runGroup(group: Group): Promise<Measurement[]> {
  const servers: RunningServer[] = [];
  try {
    // One at a time: with pg the first store call creates the table, and two at once would race.
    for (const variant of group.variants) servers.push(await startServer(variant));
    const results: Measurement[] = [];
    for (const [routeIndex, route] of group.routes.entries()) {
      const active = servers.filter(
        ({ variant }) => !variant.routes || variant.routes.includes(route),
      );
      const measured = await measureRoute(active, route, routeIndex);
      for (const m of measured) {
        console.log(
          `[bench] ${group.name.padEnd(14)} /${route.padEnd(5)} ${variantName(m.variant).padEnd(36)} ` +
            `${m.rps.toFixed(0).padStart(6)} req/s  p99 ${m.p99.toFixed(1).padStart(6)} ms  ` +
            `${m.cpuPerRequest.toFixed(0).padStart(5)} us CPU/req  server CPU ${(m.cpuShare * 100).toFixed(0)}%` +
            (m.queriesPerRequest !== undefined ? `  ${m.queriesPerRequest.toFixed(2)} q/req` : "") +
            (m.non2xx || m.errors || m.timeouts
              ? `  non2xx=${m.non2xx} errors=${m.errors} timeouts=${m.timeouts}`
              : ""),
        );
      }
      results.push(...measured);
    }
    return results;
  } finally {
    await Promise.all(servers.map((server) => stopServer(server.child)));
  }
}

// ---- main ------------------------------------------------------------------------------------

function gitCommit(): string {
  const out = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: benchDir,
    encoding: "utf8",
  });
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "app/session"], {
    cwd: join(benchDir, ".."),
    encoding: "utf8",
  });
  const commit = out.status === 0 ? out.stdout.trim() : "unknown";
  return dirty.stdout?.trim() ? `${commit} (app/session has uncommitted changes)` : commit;
}

/**
 * The table lives in the shared database; left behind, its constraint names (connect-pg-simple
 * names them `session_pkey` whatever the table) collide with the tests' own session tables.
 */
async function dropBenchTable(): Promise<void> {
  if (!groups.some((g) => g.variants.some((v) => v.store === "pg"))) return;
  const client = new pg.Client(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  await client.connect();
  try {
    await client.query(`drop table if exists ${BENCH_TABLE}`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  config.pinned = pinSelf();
  config.niced = reniceSelf();
  serverScript = buildServer(join(benchDir, ".."));
  const rows = groups.reduce(
    (n, g) =>
      n +
      g.variants.reduce(
        (k, v) => k + g.routes.filter((r) => !v.routes || v.routes.includes(r)).length,
        0,
      ),
    0,
  );
  const estimate = rows * (config.duration + config.warmup + 0.5);
  console.log(
    `[bench] ${rows} rows, ${config.duration} s each in ${config.slice} s slices ` +
      `(+${config.warmup} s warm-up), ${config.connections} connections: about ${Math.ceil(estimate / 60)} min`,
  );
  const measurements: Measurement[] = [];
  try {
    for (const group of groups) measurements.push(...(await runGroup(group)));
  } finally {
    await dropBenchTable();
  }

  const report = renderReport(measurements, {
    ...config,
    commit: gitCommit(),
    node: process.version,
    date: new Date().toISOString(),
  });
  console.log(`\n${report}`);
  const resultsDir = join(benchDir, "results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.md"), `${report}\n`);
  console.log(`[bench] written to ${join("bench", "results", "latest.md")}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("[bench] failed:", err);
    killAllNow();
    process.exit(1);
  },
);
