/**
 * Compiles the server under test (bench/server.ts, bench/protocol.ts, app/session/*.ts) to plain
 * JavaScript in bench/.build/, the way `npm run build` (tsc, tsconfig.json's target) would, so
 * the children run what production runs. Running them under tsx instead would charge ours, and
 * only ours, for esbuild's keepNames helper (`__name(fn, "...")` on every closure it creates per
 * request), which tsc output does not have.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";

export function buildServer(root: string): string {
  const outDir = join(root, "bench", ".build");
  const configPath = join(root, "tsconfig.json");
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const compilerOptions: ts.CompilerOptions = {
    ...options,
    // Per-file transpilation: ES modules out, as NodeNext gives for a "type": "module" package.
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    sourceMap: false,
    declaration: false,
    noEmit: false,
  };
  const sessionDir = join(root, "app", "session");
  const sources = [
    join(root, "bench", "server.ts"),
    join(root, "bench", "protocol.ts"),
    ...readdirSync(sessionDir)
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
      .map((name) => join(sessionDir, name)),
  ];
  rmSync(outDir, { recursive: true, force: true });
  for (const source of sources) {
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(source, "utf8"), {
      compilerOptions,
      fileName: source,
      reportDiagnostics: true,
    });
    const problems = (diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (problems.length > 0) {
      const text = problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      throw new Error(`cannot compile ${relative(root, source)}: ${text.join("; ")}`);
    }
    const target = join(outDir, relative(root, source)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return join(outDir, "bench", "server.js");
}
