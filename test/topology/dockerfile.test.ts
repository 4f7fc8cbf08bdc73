import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";
import {
  execForm,
  instructionsOf,
  isIgnored,
  parseCopy,
  parseDockerfile,
  parseHealthcheck,
  type Stage,
} from "../helpers/dockerfile.js";

// The Dockerfile and .dockerignore, read as Docker reads them (no hadolint or Docker here).
// production.test.ts then runs what the last stage holds: its CMD and HEALTHCHECK.

const dockerfile = readFileSync(join(projectRoot, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(projectRoot, ".dockerignore"), "utf8");
const stages = parseDockerfile(dockerfile);
const final = stages.at(-1) as Stage;

const runs = (stage: Stage) => instructionsOf(stage, "RUN").map((run) => run.args);
const stageNamed = (name: string | undefined) => stages.find((stage) => stage.name === name);

test("multi-stage, every stage on node:24-slim", () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
  expect(stages.map((stage) => stage.image)).toEqual(stages.map(() => "node:24-slim"));
});

test("the build installs with npm ci (dev dependencies included) and runs npm run build", () => {
  const build = stages.find((stage) => runs(stage).some((run) => /npm run build/.test(run)));
  expect(build).toBeDefined();
  const install = runs(build as Stage).find((run) => /\bnpm ci\b/.test(run));
  expect(install).toBeDefined();
  expect(install).not.toMatch(/--omit[= ]dev|--production/);
  expect(build).not.toBe(final);
});

test("the final stage has production dependencies only", () => {
  // It installs nothing itself...
  expect(runs(final).filter((run) => /\bnpm (ci|install|i)\b/.test(run))).toEqual([]);
  // ...and takes node_modules from a stage that ran `npm ci --omit=dev` (or pruned dev ones).
  const copies = instructionsOf(final, "COPY").map((copy) => parseCopy(copy.args));
  const modules = copies.filter((copy) => copy.sources.some((s) => s.endsWith("node_modules")));
  expect(modules).toHaveLength(1);
  const source = stageNamed(modules[0]?.from);
  expect(source, `stage ${modules[0]?.from}`).toBeDefined();
  expect(runs(source as Stage).join("\n")).toMatch(
    /npm ci [^\n]*--omit=dev|npm prune [^\n]*--omit=dev/,
  );
  expect(runs(source as Stage).join("\n")).not.toMatch(/npm run build/);
});

test("the final stage holds dist/, migrations/, views/, public/, locales/, package.json and the users command's launcher", () => {
  const copies = instructionsOf(final, "COPY").map((copy) => parseCopy(copy.args));
  const fromRepo = copies.filter((copy) => copy.from === undefined).flatMap((c) => c.sources);
  expect(fromRepo.sort()).toEqual([
    "locales",
    "migrations",
    "package.json",
    "public",
    "scripts/users.mjs",
    "views",
  ]);
  const dist = copies.find((copy) => copy.sources.some((s) => s.endsWith("/dist")));
  expect(dist?.destination).toMatch(/^(\.\/)?dist\/?$/);
  expect(runs(stageNamed(dist?.from) as Stage).join("\n")).toMatch(/npm run build/);
});

test("it runs as the unprivileged node user", () => {
  const users = instructionsOf(final, "USER").map((user) => user.args);
  expect(users.at(-1)).toBe("node");
  const keywords = final.instructions.map((instruction) => instruction.keyword);
  expect(keywords.lastIndexOf("USER")).toBeLessThan(keywords.lastIndexOf("CMD"));
});

test("HEALTHCHECK asks /healthz with node's fetch (slim has no curl); CMD starts the built server", () => {
  const healthchecks = instructionsOf(final, "HEALTHCHECK");
  expect(healthchecks).toHaveLength(1);
  const healthcheck = parseHealthcheck(healthchecks[0]?.args ?? "");
  expect(healthcheck.command[0]).toBe("node");
  expect(healthcheck.command.join(" ")).toMatch(/fetch\(.*\/healthz/);
  expect(healthcheck.command.join(" ")).not.toMatch(/curl|wget/);
  expect(Object.keys(healthcheck.options).sort()).toEqual([
    "interval",
    "retries",
    "start-period",
    "timeout",
  ]);

  const cmd = instructionsOf(final, "CMD").at(-1);
  expect(execForm(cmd?.args ?? "")).toEqual(["node", "dist/app/server.js"]);
  expect(instructionsOf(final, "ENV").map((e) => e.args)).toContain("NODE_ENV=production");
});

test(".dockerignore keeps local state and secrets out of the build context", () => {
  for (const path of [
    "node_modules/express/index.js",
    "dist/app/server.js",
    ".data/pg/PG_VERSION",
    ".git/HEAD",
    ".env",
    ".env.production",
    ".session-secret",
    "test-results/report.json",
    "screenshots/login.png",
    "bench/results/latest.json",
    "coverage/index.html",
    "npm-debug.log",
  ]) {
    expect(isIgnored(dockerignore, path), path).toBe(true);
  }
});

test(".dockerignore leaves out everything git ignores (secrets written by development runs included)", () => {
  const gitignore = readFileSync(join(projectRoot, ".gitignore"), "utf8");
  // One path each .gitignore line matches: "dist/" -> "dist/x", "*.log" -> "x.log".
  const samples = gitignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("!"))
    .map((line) => line.replace(/^\//, "").replace(/\/$/, "/x").replaceAll("*", "x"));
  expect(samples).toContain(".data-encryption-key");
  for (const path of samples) expect(isIgnored(dockerignore, path), path).toBe(true);
});

test(".dockerignore lets in everything a COPY in the Dockerfile needs", () => {
  const sources = stages.flatMap((stage) =>
    instructionsOf(stage, "COPY")
      .map((copy) => parseCopy(copy.args))
      .filter((copy) => copy.from === undefined)
      .flatMap((copy) => copy.sources),
  );
  expect(sources).toContain("package-lock.json");
  for (const path of [
    ...sources,
    "app/server.ts",
    "migrations/001_users.sql",
    "views/layout.eta",
  ]) {
    expect(isIgnored(dockerignore, path), path).toBe(false);
  }
});

test("the .dockerignore matcher follows Docker's rules (last match wins, folders, **)", () => {
  const rules = "node_modules\n**/*.log\n!keep.log\nbench/results";
  expect(isIgnored(rules, "node_modules")).toBe(true);
  expect(isIgnored(rules, "node_modules/a/b.js")).toBe(true);
  expect(isIgnored(rules, "app/node_modules/x")).toBe(false);
  expect(isIgnored(rules, "a/b/c.log")).toBe(true);
  expect(isIgnored(rules, "keep.log")).toBe(false);
  expect(isIgnored(rules, "bench/results/x.json")).toBe(true);
  expect(isIgnored(rules, "bench/session.ts")).toBe(false);
});
