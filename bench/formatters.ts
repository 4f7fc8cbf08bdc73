/**
 * The date formatters' memory, before and after they were cached (issue: "Cost that stays flat").
 * Each way runs in a child process of its own, so neither sees the other's memory:
 *
 *   new     `new Intl.DateTimeFormat(...)` for every time shown (app/http/time-format.ts before)
 *   cached  app/http/time-format.ts's exactTime and relativeTime (one formatter per locale+options)
 *
 * FORMAT_CALLS (200,000 by default) times each. Prints RSS and heap before and after, and the
 * time per call. `tsx bench/formatters.ts`; `npm run bench:scale` runs it first.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { exactTime, relativeTime } from "../app/http/time-format.js";
import { envNumber } from "./env.js";

export interface FormatterResult {
  mode: "new" | "cached";
  calls: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  heapAfterMb: number;
  microsPerCall: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function run(mode: "new" | "cached", calls: number): FormatterResult {
  const now = new Date("2026-03-10T12:00:00Z");
  const format =
    mode === "new"
      ? (date: Date) =>
          // What time-format.ts did for each time shown: a new DateTimeFormat (its relative
          // formatter was already made once).
          `${new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "long", timeZone: "UTC" }).format(date)} ${relativeTime(date, now)}`
      : (date: Date) => `${exactTime(date)} ${relativeTime(date, now)}`;
  const before = process.memoryUsage().rss;
  const started = performance.now();
  let length = 0;
  for (let i = 0; i < calls; i++) length += format(new Date(now.valueOf() - i * 60_000)).length;
  const ms = performance.now() - started;
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  if (length === 0) throw new Error("nothing formatted");
  return {
    mode,
    calls,
    rssBeforeMb: mb(before),
    rssAfterMb: mb(after.rss),
    heapAfterMb: mb(after.heapUsed),
    microsPerCall: Math.round((ms * 1000 * 10) / calls) / 10,
  };
}

/** Runs both ways, each in a fresh process (this file with --child=MODE). */
export function measureFormatters(calls = envNumber("FORMAT_CALLS", 200_000, 1, 10_000_000)) {
  const self = fileURLToPath(import.meta.url);
  const tsx = pathToFileURL(fileURLToPath(import.meta.resolve("tsx"))).href;
  return (["new", "cached"] as const).map((mode) => {
    const child = spawnSync(
      process.execPath,
      ["--expose-gc", "--import", tsx, self, `--child=${mode}`, `--calls=${calls}`],
      { encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`formatter bench (${mode}) failed:\n${child.stderr}`);
    return JSON.parse(child.stdout.trim().split("\n").pop() as string) as FormatterResult;
  });
}

export function formatterTable(results: FormatterResult[]): string {
  const lines = [
    "| formatters | calls | RSS before (MB) | RSS after (MB) | heap after (MB) | µs per call |",
    "| ---------- | ----: | --------------: | -------------: | --------------: | ----------: |",
    ...results.map(
      (r) =>
        `| ${r.mode} | ${r.calls} | ${r.rssBeforeMb} | ${r.rssAfterMb} | ${r.heapAfterMb} | ${r.microsPerCall} |`,
    ),
  ];
  return lines.join("\n");
}

const childArg = process.argv.find((arg) => arg.startsWith("--child="));
if (childArg) {
  const mode = childArg.slice("--child=".length) as "new" | "cached";
  const calls = Number(process.argv.find((arg) => arg.startsWith("--calls="))?.slice(8));
  console.log(JSON.stringify(run(mode, calls)));
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatterTable(measureFormatters()));
}
