// The module boundaries, read from the source: what makes a feature removable (its two folders,
// its test/e2e/<name>* files and its line in app/features/index.ts), what keeps the session
// middleware a package of its own, and no import cycles among the app's files. Imports are read
// with TypeScript's own parser (static, dynamic, `export ... from`, `import("x").T` types) and
// relative ones resolved to files; package imports are not followed.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";

interface Edge {
  from: string;
  to: string;
  line: number;
  /** Erased when compiled (`import type`, `export type`, every name `type`, `import("x").T`). */
  typeOnly: boolean;
}

const posix = (path: string) => path.split(sep).join("/");

function filesUnder(dir: string): string[] {
  if (!existsSync(join(projectRoot, dir))) return [];
  return readdirSync(join(projectRoot, dir), { recursive: true, encoding: "utf8" })
    .map((file) => posix(join(dir, file)))
    .filter((file) => /\.(ts|mts|cts)$/.test(file));
}

// What tsconfig.json (and so `npm run typecheck`) covers.
const files = [
  ...filesUnder("app"),
  ...filesUnder("test"),
  ...filesUnder("bench"),
  ...readdirSync(projectRoot).filter((file) => /^vitest.*\.config\.ts$/.test(file)),
];

/** A relative specifier as the file it names (NodeNext: `./x.js` is ./x.ts). */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const base = posix(join(dirname(from), specifier));
  const candidates = [
    base
      .replace(/\.js$/, ".ts")
      .replace(/\.mjs$/, ".mts")
      .replace(/\.cjs$/, ".cts"),
    base,
    `${base}.ts`,
    `${base}/index.ts`,
  ];
  return candidates.find((file) => existsSync(join(projectRoot, file))) ?? base;
}

function importsOf(file: string): Edge[] {
  const text = readFileSync(join(projectRoot, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const to = resolveSpecifier(file, specifier.text);
    if (!to) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    edges.push({ from: file, to, line, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const everyNameIsType =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((element) => element.isTypeOnly);
      add(node, node.moduleSpecifier, clause?.isTypeOnly === true || everyNameIsType);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const everyNameIsType =
        named !== undefined &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((element) => element.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || everyNameIsType);
    } else if (ts.isImportEqualsDeclaration(node)) {
      if (ts.isExternalModuleReference(node.moduleReference)) {
        add(node, node.moduleReference.expression, node.isTypeOnly);
      }
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(node, argument.literal, true);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0]
    ) {
      add(node, node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const edges = files.flatMap(importsOf);
const where = (edge: Edge) => `${edge.from}:${edge.line} imports ${edge.to}`;

/** The feature folder a path is in (app/features/<name>/..., test/features/<name>/...). */
function featureOf(path: string, root: "app/features" | "test/features"): string | undefined {
  const match = new RegExp(`^${root}/([^/]+)/`).exec(path);
  return match?.[1];
}

const featureNames = readdirSync(join(projectRoot, "app/features"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** The feature a test file goes with when the feature is removed (test/features/<name>/, test/e2e/<name>*). */
function testOwner(path: string): string | undefined {
  const folder = featureOf(path, "test/features");
  if (folder) return folder;
  const e2e = /^test\/e2e\/([^/]+)$/.exec(path)?.[1];
  return e2e ? featureNames.find((name) => e2e.startsWith(name)) : undefined;
}

describe("the features are removable", () => {
  test("the list of features is what app/features/ holds", () => {
    // The rules below look at folders; an empty list would make them pass vacuously.
    expect(featureNames.length).toBeGreaterThan(0);
    expect(files).toContain("app/features/index.ts");
  });

  test("a feature imports no other feature", () => {
    const crossing = edges.filter((edge) => {
      const from = featureOf(edge.from, "app/features");
      return (
        from !== undefined &&
        edge.to.startsWith("app/features/") &&
        featureOf(edge.to, "app/features") !== from
      );
    });
    expect(crossing.map(where)).toEqual([]);
  });

  test("the core imports no feature: only app/feature-list.ts imports the list, app/features/index.ts", () => {
    const intoFeatures = edges.filter(
      (edge) =>
        edge.from.startsWith("app/") &&
        !edge.from.startsWith("app/features/") &&
        edge.to.startsWith("app/features/") &&
        !(edge.from === "app/feature-list.ts" && edge.to === "app/features/index.ts"),
    );
    expect(intoFeatures.map(where)).toEqual([]);
  });

  test("the list imports nothing: a feature's line there is its folder's name, nothing else", () => {
    expect(edges.filter((edge) => edge.from === "app/features/index.ts").map(where)).toEqual([]);
  });

  test("only a feature's own tests import its code or its test folder", () => {
    const outside = edges.filter((edge) => {
      if (edge.from.startsWith("app/")) return false;
      const target = featureOf(edge.to, "app/features") ?? featureOf(edge.to, "test/features");
      return target !== undefined && testOwner(edge.from) !== target;
    });
    expect(outside.map(where)).toEqual([]);
  });
});

test("app/session/ imports nothing of the app outside app/session/", () => {
  const outside = edges.filter(
    (edge) => edge.from.startsWith("app/session/") && !edge.to.startsWith("app/session/"),
  );
  expect(outside.map(where)).toEqual([]);
});

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string) => {
    indices.set(node, index);
    lowlinks.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        connect(next);
        lowlinks.set(node, Math.min(lowlinks.get(node) ?? 0, lowlinks.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node) ?? 0, indices.get(next) ?? 0));
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) {
        found.push(component.sort());
      }
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) connect(node);
  return found;
}

// Only imports that remain at run time: `import type` is erased by the compiler
// (verbatimModuleSyntax makes sure of it), so a cycle through types alone orders no module's
// evaluation and cannot leave a binding undefined.
test("no import cycle among the app's files (type-only imports aside)", () => {
  const graph = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.typeOnly || !edge.from.startsWith("app/") || !edge.to.startsWith("app/")) continue;
    graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to]);
  }
  expect(cycles(graph)).toEqual([]);
});

test("the reader sees every kind of import", () => {
  // Guards the rules above against a reader that silently finds nothing.
  const of = (file: string) => edges.filter((edge) => edge.from === file);
  expect(of("app/app.ts")).toContainEqual(
    expect.objectContaining({ to: "app/feature-list.ts", typeOnly: false }),
  );
  expect(of("app/feature-list.ts")).toContainEqual(
    expect.objectContaining({ to: "app/features/index.ts", typeOnly: false }),
  );
  expect(of("app/app.ts")).toContainEqual(
    expect.objectContaining({ to: "app/auth/session-data.ts", typeOnly: false }),
  );
  expect(of("app/feature-list.ts")).toContainEqual(
    expect.objectContaining({ to: "app/core/feature.ts", typeOnly: true }),
  );
  expect(of("test/helpers/session-impls.ts")).toContainEqual(
    expect.objectContaining({ to: "app/session/index.ts", typeOnly: false }),
  );
});
