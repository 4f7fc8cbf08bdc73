/** Turns the measurements into the markdown report: tables, ratios, and PASS/FAIL per target. */
import type { LoadResult } from "./load.js";
import type { Impl, Route, StoreKind } from "./protocol.js";

export interface Variant {
  impl: Impl;
  store: StoreKind;
  rolling: boolean;
  /** ours only. */
  touchAfter?: number;
  /** Before the run, the stored sessions are made to look last written this many seconds ago. */
  agedSeconds?: number;
  /** Measured on these routes only (default: all of its group's). */
  routes?: Route[];
}

export interface Measurement extends LoadResult {
  variant: Variant;
  route: Route;
  /** Completed responses per second of load. */
  rps: number;
  /**
   * req/s of each turn, in order. Turn k of every variant of a route ran in the same round of
   * turns, seconds apart, so turn k of two variants makes a pair that saw the same machine.
   */
  turnRates: number[];
  /** 99th percentile latency over all of the row's responses, ms. */
  p99: number;
  /** Requests the server counted on the measured route during the run. */
  served: number;
  /** Pool#query calls per served request (pg only). */
  queriesPerRequest: number | undefined;
  /** Server process CPU time (user + system) per served request, microseconds. */
  cpuPerRequest: number;
  /** Server CPU time / wall time under load: ~1 when it had its core to itself and was busy. */
  cpuShare: number;
}

export interface BenchConfig {
  duration: number;
  warmup: number;
  connections: number;
  /** Seconds per turn: the variants of a route take turns at this granularity. */
  slice: number;
  touchAfter: number;
  serverCpu: string;
  loadCpu: string;
  databaseUrl: string;
  pinned: boolean;
  /** Niceness asked for the servers and the load generator, and whether it took (here). */
  nice: number;
  niced: boolean;
}

export interface ReportMeta extends BenchConfig {
  commit: string;
  node: string;
  date: string;
}

/** The targets from the issue. */
export const TARGETS = {
  /** ours / express-session req/s, every like-for-like row. */
  minRatioVsExpressSession: 1.0,
  /** ours (MemoryStore, read route) / bare Express req/s. */
  minRatioVsBare: 0.75,
  /** Pool queries per request, ours + touchAfter, Postgres, rolling, read route. */
  maxQueriesWithTouchAfter: 1.1,
  /** ours + touchAfter / express-session req/s on that route. */
  minRatioTouchAfter: 1.6,
  /** ours + touchAfter (Postgres, rolling, read) / the ceiling: Express + the store's one SELECT. */
  minRatioVsCeiling: 0.9,
} as const;

const ROUTES: Route[] = ["none", "read", "write"];
const STORES: StoreKind[] = ["memory", "pg"];

/** plain: same options as express-session; touchAfter: ours with touchAfter; aged: and old sessions. */
type Kind = "plain" | "touchAfter" | "aged";

function kindOf(variant: Variant): Kind {
  if (variant.agedSeconds !== undefined) return "aged";
  return variant.touchAfter !== undefined ? "touchAfter" : "plain";
}

function find(
  rows: Measurement[],
  impl: Impl,
  store: StoreKind,
  rolling: boolean,
  route: Route,
  kind: Kind = "plain",
): Measurement | undefined {
  return rows.find(
    (m) =>
      m.variant.impl === impl &&
      m.route === route &&
      m.variant.store === store &&
      m.variant.rolling === rolling &&
      kindOf(m.variant) === kind,
  );
}

const fmtRps = (m: Measurement | undefined) => (m ? m.rps.toFixed(0) : "—");
const fmtP99 = (m: Measurement | undefined) => (m ? m.p99.toFixed(1) : "—");
const fmtCpu = (m: Measurement | undefined) => (m ? m.cpuPerRequest.toFixed(0) : "—");
const fmtQ = (m: Measurement | undefined) =>
  m?.queriesPerRequest !== undefined ? m.queriesPerRequest.toFixed(2) : "—";
/** req/s of a over b. */
const ratio = (a: Measurement | undefined, b: Measurement | undefined) =>
  a && b && b.rps > 0 ? a.rps / b.rps : undefined;
/** Server CPU per request of b over a: above 1 when a spends less CPU on a request than b. */
const cpuRatio = (a: Measurement | undefined, b: Measurement | undefined) =>
  a && b && a.cpuPerRequest > 0 ? b.cpuPerRequest / a.cpuPerRequest : undefined;
const fmtRatio = (r: number | undefined) => (r === undefined ? "—" : `${r.toFixed(2)}x`);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** a ÷ b turn by turn (pairs from the same round), as median and range; undefined if unpaired. */
function turnRatios(a: Measurement | undefined, b: Measurement | undefined) {
  if (!a || !b || a.turnRates.length === 0 || a.turnRates.length !== b.turnRates.length) {
    return undefined;
  }
  const ratios = a.turnRates.map((rate, k) => rate / (b.turnRates[k] as number));
  return {
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    n: ratios.length,
  };
}

/** "0.81x (0.74x–0.86x over 8 turn pairs)" */
function fmtTurns(t: ReturnType<typeof turnRatios>): string {
  return t
    ? `${fmtRatio(t.median)} (${fmtRatio(t.min)}–${fmtRatio(t.max)} over ${t.n} turn pairs)`
    : "—";
}
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

/** A markdown table with padded columns, readable as plain text too. */
function table(header: string[], rows: string[][], rightAlignFrom: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells
      .map((c, i) => (i >= rightAlignFrom ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join(" | ")} |`;
  const rule = `|${widths
    .map((w, i) => (i >= rightAlignFrom ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2)))
    .join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const COMPARE_HEADER = [
  "ours req/s",
  "e-s req/s",
  "ours/e-s",
  "per turn",
  "ours p99",
  "e-s p99",
  "ours CPU/req",
  "e-s CPU/req",
  "CPU ratio",
  "ours q/req",
  "e-s q/req",
];

function compareCells(a: Measurement | undefined, b: Measurement | undefined): string[] {
  return [
    fmtRps(a),
    fmtRps(b),
    fmtRatio(ratio(a, b)),
    fmtRatio(turnRatios(a, b)?.median),
    fmtP99(a),
    fmtP99(b),
    fmtCpu(a),
    fmtCpu(b),
    fmtRatio(cpuRatio(a, b)),
    fmtQ(a),
    fmtQ(b),
  ];
}

function problems(rows: Measurement[]): string[] {
  return rows
    .filter((m) => m.non2xx > 0 || m.errors > 0 || m.timeouts > 0)
    .map(
      (m) =>
        `- ${m.variant.impl} ${m.variant.store}${m.variant.rolling ? " rolling" : ""} /${m.route}: ` +
        `non2xx=${m.non2xx} errors=${m.errors} timeouts=${m.timeouts} — this row's numbers are suspect`,
    );
}

interface Comparison {
  label: string;
  /** req/s ratio over the whole row. */
  rps: number;
  /** Median of the turn-by-turn req/s ratios: what the verdict is on. */
  turns: number;
  cpu: number | undefined;
}

export function renderReport(rows: Measurement[], meta: ReportMeta): string {
  const out: string[] = [];
  const touchLabel = `touchAfter=${meta.touchAfter / 1000} s`;
  out.push("## Session middleware benchmark");
  out.push("");
  out.push(
    `${meta.date} · commit ${meta.commit} · Node ${meta.node} · ${meta.connections} connections · ` +
      `${meta.duration} s per row, in ${meta.slice} s turns alternating between the variants, ` +
      `after ${meta.warmup} s warm-up`,
  );
  out.push("");
  out.push(
    meta.pinned
      ? `Server child pinned to core ${meta.serverCpu} (taskset), autocannon pinned to core ${meta.loadCpu}; Postgres not pinned (shares both).`
      : "Not pinned (taskset unavailable or failed): server, autocannon and Postgres share all cores.",
  );
  out.push("");
  out.push(
    meta.niced
      ? `Server and autocannon run at niceness ${meta.nice} (Postgres and everything else at their own).`
      : "Server and autocannon at normal priority (raising it was not permitted).",
  );
  out.push("");
  out.push(
    "req/s: completed responses / load time. p99: ms, over all the row's responses. " +
      "CPU/req: server process CPU (user+sys) per request, µs, which other load on the machine " +
      "disturbs less than req/s; CPU ratio = e-s CPU/req ÷ ours CPU/req (above 1: ours is cheaper). " +
      "q/req: pg Pool#query calls per request.",
  );
  out.push("");

  // ---- like-for-like ----
  out.push("### ours vs express-session (same options)");
  out.push("");
  const likeRows: string[][] = [];
  const like: Comparison[] = [];
  for (const store of STORES) {
    for (const rolling of [false, true]) {
      for (const route of ROUTES) {
        const a = find(rows, "ours", store, rolling, route);
        const b = find(rows, "express-session", store, rolling, route);
        if (!a && !b) continue;
        const r = ratio(a, b);
        const t = turnRatios(a, b);
        if (r !== undefined && t !== undefined) {
          like.push({
            label: `${store === "pg" ? "Postgres" : "MemoryStore"} rolling ${rolling ? "on" : "off"} /${route}`,
            rps: r,
            turns: t.median,
            cpu: cpuRatio(a, b),
          });
        }
        likeRows.push([
          store === "pg" ? "Postgres" : "MemoryStore",
          rolling ? "on" : "off",
          `/${route}`,
          ...compareCells(a, b),
        ]);
      }
    }
  }
  out.push(table(["store", "rolling", "route", ...COMPARE_HEADER], likeRows, 3));
  out.push("");

  // ---- touchAfter ----
  const touchRows: string[][] = [];
  for (const route of ROUTES) {
    const a = find(rows, "ours", "pg", true, route, "touchAfter");
    if (a)
      touchRows.push([
        `/${route}`,
        ...compareCells(a, find(rows, "express-session", "pg", true, route)),
      ]);
  }
  const aged = find(rows, "ours", "pg", true, "read", "aged");
  if (aged) {
    touchRows.push([
      `/read, sessions last written ${aged.variant.agedSeconds} s before the run`,
      ...compareCells(aged, find(rows, "express-session", "pg", true, "read")),
    ]);
  }
  if (touchRows.length > 0) {
    out.push(`### ours with ${touchLabel} vs express-session (Postgres, rolling on)`);
    out.push("");
    out.push(table(["route", ...COMPARE_HEADER], touchRows, 1));
    out.push("");
    if (aged) {
      out.push(
        "The last row is the same touchAfter server, but its sessions' stored cookie says they " +
          `were last written ${aged.variant.agedSeconds} s ago (longer than touchAfter): what a ` +
          "session a user logged into a while ago looks like. The rows above it only ever see " +
          "sessions written moments before the run.",
      );
      out.push("");
    }
  }

  // ---- bare ----
  const bareRows: string[][] = [];
  for (const rolling of [false, true]) {
    const bare = find(rows, "bare", "memory", rolling, "read");
    const a = find(rows, "ours", "memory", rolling, "read");
    if (!bare) continue;
    bareRows.push([
      `bare Express 5, /read (turns with rolling ${rolling ? "on" : "off"})`,
      fmtRps(bare),
      fmtP99(bare),
      "1.00x",
      "1.00x",
      fmtCpu(bare),
      "1.00x",
    ]);
    if (a) {
      bareRows.push([
        `ours MemoryStore rolling ${rolling ? "on" : "off"}, /read`,
        fmtRps(a),
        fmtP99(a),
        fmtRatio(ratio(a, bare)),
        fmtRatio(turnRatios(a, bare)?.median),
        fmtCpu(a),
        fmtRatio(cpuRatio(a, bare)),
      ]);
    }
  }
  if (bareRows.length > 0) {
    out.push("### bare Express 5 (no session middleware)");
    out.push("");
    out.push(
      table(
        ["server", "req/s", "p99", "req/s vs bare", "per turn", "CPU/req", "bare CPU ÷ this"],
        bareRows,
        1,
      ),
    );
    out.push("");
  }

  // ---- ceiling ----
  const ceilingRows: string[][] = [];
  for (const rolling of [false, true]) {
    const ceiling = find(rows, "ceiling", "pg", rolling, "read");
    if (!ceiling) continue;
    const group = `turns with Postgres rolling ${rolling ? "on" : "off"}`;
    ceilingRows.push([
      `ceiling: Express + the SELECT (${group})`,
      fmtRps(ceiling),
      fmtP99(ceiling),
      "1.00x",
      "1.00x",
      fmtCpu(ceiling),
      "1.00x",
    ]);
    const others: Array<[string, Measurement | undefined]> = [
      [
        "floor: the ceiling + only what any drop-in must do (req properties, hooks, store get, Set-Cookie)",
        rolling ? find(rows, "floor", "pg", true, "read") : undefined,
      ],
      [`ours, rolling ${rolling ? "on" : "off"}`, find(rows, "ours", "pg", rolling, "read")],
      [
        `ours ${touchLabel}, rolling on`,
        rolling ? find(rows, "ours", "pg", true, "read", "touchAfter") : undefined,
      ],
      [
        `express-session, rolling ${rolling ? "on" : "off"}`,
        find(rows, "express-session", "pg", rolling, "read"),
      ],
    ];
    for (const [label, m] of others) {
      if (!m) continue;
      ceilingRows.push([
        label,
        fmtRps(m),
        fmtP99(m),
        fmtRatio(ratio(m, ceiling)),
        fmtRatio(turnRatios(m, ceiling)?.median),
        fmtCpu(m),
        fmtRatio(cpuRatio(m, ceiling)),
      ]);
    }
  }
  if (ceilingRows.length > 0) {
    out.push("### The ceiling: Express + the one SELECT a store's get makes (Postgres, /read)");
    out.push("");
    out.push(
      table(
        ["server", "req/s", "p99", "req/s vs ceiling", "per turn", "CPU/req", "ceiling CPU ÷ this"],
        ceilingRows,
        1,
      ),
    );
    out.push("");
  }

  // ---- targets ----
  out.push(
    "### Targets (judged on the median of the turn-by-turn req/s ratios; whole-row req/s and CPU/req ratios in brackets)",
  );
  out.push("");
  if (like.length > 0) {
    const failing = like.filter((c) => c.turns < TARGETS.minRatioVsExpressSession);
    const lowest = like.reduce((lo, c) => (c.turns < lo.turns ? c : lo));
    const cpuFailing = like.filter((c) => (c.cpu ?? 0) < TARGETS.minRatioVsExpressSession);
    out.push(
      `- ${verdict(failing.length === 0)} ours >= ${TARGETS.minRatioVsExpressSession.toFixed(2)}x express-session req/s on every like-for-like row: ` +
        `${like.length - failing.length}/${like.length} rows, lowest ${fmtRatio(lowest.turns)} (${lowest.label}) ` +
        `[whole rows: lowest ${fmtRatio(Math.min(...like.map((c) => c.rps)))}; ` +
        `CPU/req: ${like.length - cpuFailing.length}/${like.length} rows at or above 1.00x]`,
    );
    for (const f of failing) {
      out.push(
        `  - FAIL ${f.label}: ${fmtRatio(f.turns)} [whole row ${fmtRatio(f.rps)}, CPU ratio ${fmtRatio(f.cpu)}]`,
      );
    }
    for (const f of cpuFailing.filter((c) => !failing.includes(c))) {
      out.push(
        `  - (req/s passes, CPU/req does not) ${f.label}: ${fmtRatio(f.rps)} [CPU ratio ${fmtRatio(f.cpu)}]`,
      );
    }
  }
  for (const rolling of [false, true]) {
    const a = find(rows, "ours", "memory", rolling, "read");
    const bare = find(rows, "bare", "memory", rolling, "read");
    const r = ratio(a, bare);
    const t = turnRatios(a, bare);
    if (r === undefined || t === undefined) continue;
    out.push(
      `- ${verdict(t.median >= TARGETS.minRatioVsBare)} ours (MemoryStore, rolling ${rolling ? "on" : "off"}, /read) >= ` +
        `${TARGETS.minRatioVsBare}x bare Express req/s: ${fmtTurns(t)} [whole row ${fmtRatio(r)}, CPU ${fmtRatio(cpuRatio(a, bare))}]`,
    );
  }
  const touched = find(rows, "ours", "pg", true, "read", "touchAfter");
  if (touched) {
    const q = touched.queriesPerRequest;
    out.push(
      `- ${verdict(q !== undefined && q <= TARGETS.maxQueriesWithTouchAfter)} ours ${touchLabel} (Postgres, rolling, /read) ` +
        `<= ${TARGETS.maxQueriesWithTouchAfter} queries/request: ${fmtQ(touched)}`,
    );
    const esRead = find(rows, "express-session", "pg", true, "read");
    const r = ratio(touched, esRead);
    const t = turnRatios(touched, esRead);
    if (r !== undefined && t !== undefined) {
      out.push(
        `- ${verdict(t.median >= TARGETS.minRatioTouchAfter)} ours ${touchLabel} (Postgres, rolling, /read) >= ` +
          `${TARGETS.minRatioTouchAfter}x express-session req/s: ${fmtTurns(t)} [whole row ${fmtRatio(r)}, CPU ${fmtRatio(cpuRatio(touched, esRead))}]`,
      );
    }
  }
  const ceiling = find(rows, "ceiling", "pg", true, "read");
  if (touched && ceiling) {
    const t = turnRatios(touched, ceiling);
    if (t !== undefined) {
      out.push(
        `- ${verdict(t.median >= TARGETS.minRatioVsCeiling)} ours ${touchLabel} (Postgres, rolling, /read) >= ` +
          `${TARGETS.minRatioVsCeiling.toFixed(2)}x the ceiling (Express + the one SELECT): ${fmtTurns(t)} ` +
          `[whole row ${fmtRatio(ratio(touched, ceiling))}, CPU ${fmtRatio(cpuRatio(touched, ceiling))}]`,
      );
    }
  }
  if (aged) {
    const q = aged.queriesPerRequest;
    out.push(
      `- ${verdict(q !== undefined && q <= TARGETS.maxQueriesWithTouchAfter)} (extra, not in the issue) the same, ` +
        `with sessions last written ${aged.variant.agedSeconds} s before the run: <= ${TARGETS.maxQueriesWithTouchAfter} ` +
        `queries/request: ${fmtQ(aged)}; req/s ${fmtRatio(ratio(aged, find(rows, "express-session", "pg", true, "read")))} express-session's`,
    );
  }
  const bad = problems(rows);
  if (bad.length > 0) {
    out.push("");
    out.push("Rows with errors:");
    out.push(...bad);
  }
  return out.join("\n");
}
