import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { runner } from "node-pg-migrate";
import type { Feature } from "../../app/core/feature.js";
import { migrationsDir, projectRoot } from "../../app/paths.js";
import { startTestApp as startRealApp, type TestApp, type TestAppOptions } from "../helpers/app.js";
import { testDatabaseUrl } from "../helpers/database.js";
import { silentMigrationLog } from "../helpers/test-schema.js";

/**
 * A guide's files (docs/make-it-yours.md) in a scratch folder, laid out as in the tree, and the
 * app started as if they were in it: its features list edited as the guide says, its migrations
 * applied. Test files the guide writes import this module's startTestApp in place of
 * test/helpers/app.ts's.
 */

/** The scratch copy of a file: a test file is renamed so that no vitest run collects it. */
export const scratchName = (path: string) => path.replace(/\.test\.ts$/, ".guide-test.ts");

const WRAPPER = join(projectRoot, "test", "guide", "guide-app.js");

/**
 * Writes `files` (path in the tree -> text) under `dir`, with migrations/ holding the tree's
 * migrations and the guide's. A relative import of a file the guide writes points at its scratch
 * copy, any other at the tree's file (test/helpers/app.js: at this module).
 */
export function writeGuideFiles(files: Map<string, string>, dir: string): void {
  mkdirSync(dir, { recursive: true });
  cpSync(migrationsDir, join(dir, "migrations"), { recursive: true });
  const scratchPath = (path: string) => join(dir, scratchName(path));
  for (const [path, text] of files) {
    const code = !path.endsWith(".ts")
      ? text
      : text.replace(
          /(from |import\()"(\.{1,2}\/[^"]+)"/g,
          (_all, keyword: string, spec: string) => {
            const target = posix.join(posix.dirname(path), spec);
            const source = target.replace(/\.js$/, ".ts");
            if (files.has(source))
              return `${keyword}"${scratchPath(source).replace(/\.ts$/, ".js")}"`;
            if (target === "test/helpers/app.js") return `${keyword}"${WRAPPER}"`;
            return `${keyword}"${join(projectRoot, target)}"`;
          },
        );
    mkdirSync(dirname(scratchPath(path)), { recursive: true });
    writeFileSync(scratchPath(path), code);
  }
}

/**
 * The tree's file with the guide's lines added: import lines after its last import, any other
 * line before the line `before` (the end of the list or object they belong in).
 */
export function withLines(path: string, lines: string[], before: string): string {
  const text = readFileSync(join(projectRoot, path), "utf8").split("\n");
  // A file without imports (the list of features) takes its lines before `before` only.
  const lastImport = text.findLastIndex((line) => line.startsWith("import "));
  const end = text.indexOf(before, Math.max(lastImport, 0));
  if (end < 0) throw new Error(`${path} has no line "${before}"`);
  const imports = lines.filter((line) => line.startsWith("import "));
  const others = lines.filter((line) => !line.startsWith("import "));
  return [
    ...text.slice(0, lastImport + 1),
    ...imports,
    ...text.slice(lastImport + 1, end),
    ...others,
    ...text.slice(end),
  ].join("\n");
}

let guide: { features: readonly Feature[]; migrations: string } | undefined;

/** The app the guide's test files start: these features, and the migrations in this folder. */
export function useGuideApp(features: readonly Feature[], migrations: string): void {
  guide = { features, migrations };
}

/** test/helpers/app.ts's startTestApp, on the guide's features and migrations. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  if (!guide) throw new Error("useGuideApp() first");
  const app = await startRealApp({ features: guide.features, ...options });
  await migrateApp(app, guide.migrations);
  return app;
}

/** Runs node-pg-migrate on a test app's schema with the migrations of `dir`; the names it ran. */
export async function migrateApp(
  app: TestApp,
  dir: string,
  direction: "up" | "down" = "up",
): Promise<string[]> {
  const { rows } = await app.pool.query<{ schema: string }>("select current_schema() as schema");
  const schema = rows[0]?.schema as string;
  const ran = await runner({
    databaseUrl: testDatabaseUrl(),
    dir,
    migrationsTable: "pgmigrations",
    direction,
    count: direction === "up" ? Number.POSITIVE_INFINITY : 1,
    singleTransaction: true,
    checkOrder: true,
    schema: [schema, "public"],
    createSchema: true,
    logger: silentMigrationLog,
  });
  return ran.map((migration) => migration.name);
}
