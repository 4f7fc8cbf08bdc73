import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";

/**
 * Issue 30: the catalogues (locales/<tag>.json) say the same things. Every catalogue has the
 * keys English has, no more, no fewer, with the plural forms its language needs; the same
 * `{{placeholders}}` as English; and every key the code names literally exists in English.
 */

const LOCALES_DIR = join(projectRoot, "locales");
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

type Leaves = Map<string, string>;

/** Every leaf of a nested catalogue, by dotted key ("errors.titles.404"). */
function leavesOf(value: unknown, prefix = "", into: Leaves = new Map()): Leaves {
  if (typeof value === "string") into.set(prefix, value);
  else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      leavesOf(inner, prefix === "" ? key : `${prefix}.${key}`, into);
    }
  } else into.set(prefix, `<not a string: ${JSON.stringify(value)}>`);
  return into;
}

/** The base keys (plural suffixes stripped) and, per plural base, the categories present. */
function shapeOf(leaves: Leaves): { bases: Set<string>; plurals: Map<string, Set<string>> } {
  const bases = new Set<string>();
  const plurals = new Map<string, Set<string>>();
  for (const key of leaves.keys()) {
    const match = PLURAL_SUFFIX.exec(key);
    const base = match ? key.slice(0, match.index) : key;
    bases.add(base);
    if (match) {
      const categories = plurals.get(base) ?? new Set<string>();
      categories.add(match[1] as string);
      plurals.set(base, categories);
    }
  }
  return { bases, plurals };
}

/**
 * What is wrong with catalogue `file` (language `tag`) against English: keys missing or extra
 * (after stripping plural suffixes), plural categories the language needs and lacks or has
 * and does not use. Each problem names the key and the file.
 */
function parityProblems(en: Leaves, other: Leaves, tag: string, file: string): string[] {
  const problems: string[] = [];
  const ours = shapeOf(en);
  const theirs = shapeOf(other);
  for (const base of ours.bases) {
    if (!theirs.bases.has(base)) problems.push(`${file}: missing key "${base}"`);
  }
  for (const base of theirs.bases) {
    if (!ours.bases.has(base)) problems.push(`${file}: extra key "${base}" (not in en.json)`);
  }
  const needed = new Intl.PluralRules(tag).resolvedOptions().pluralCategories as string[];
  for (const base of ours.plurals.keys()) {
    if (!theirs.bases.has(base)) continue;
    const present = theirs.plurals.get(base) ?? new Set<string>();
    for (const category of needed) {
      if (!present.has(category)) problems.push(`${file}: "${base}" lacks "${base}_${category}"`);
    }
    for (const category of present) {
      if (!needed.includes(category)) {
        problems.push(`${file}: "${base}_${category}" is not a plural form ${tag} uses`);
      }
    }
  }
  for (const base of theirs.plurals.keys()) {
    if (ours.bases.has(base) && !ours.plurals.has(base)) {
      problems.push(`${file}: "${base}" has plural forms, en.json does not`);
    }
  }
  return problems;
}

const placeholdersIn = (text: string): string[] =>
  [...new Set([...text.matchAll(/\{\{\s*([^},\s]+)[^}]*\}\}/g)].map((m) => m[1] as string))].sort();

/** The English string a catalogue key corresponds to (for a plural form: any English form). */
function englishFor(en: Leaves, key: string): string | undefined {
  if (en.has(key)) return en.get(key);
  const match = PLURAL_SUFFIX.exec(key);
  if (!match) return undefined;
  const base = key.slice(0, match.index);
  return en.get(`${base}_other`) ?? en.get(`${base}_one`);
}

/** Placeholders that differ between a catalogue's strings and English's. */
function placeholderProblems(en: Leaves, other: Leaves, file: string): string[] {
  const problems: string[] = [];
  for (const [key, text] of other) {
    const english = englishFor(en, key);
    if (english === undefined) continue; // reported by parityProblems
    const ours = placeholdersIn(english).filter(
      (name) => name !== "count" || !PLURAL_SUFFIX.test(key),
    );
    const theirs = placeholdersIn(text).filter(
      (name) => name !== "count" || !PLURAL_SUFFIX.test(key),
    );
    for (const name of theirs) {
      if (!ours.includes(name))
        problems.push(`${file}: "${key}" has {{${name}}}, en.json does not`);
    }
    for (const name of ours) {
      if (!theirs.includes(name)) problems.push(`${file}: "${key}" lacks {{${name}}}`);
    }
  }
  return problems;
}

const catalogueFiles = readdirSync(LOCALES_DIR)
  .filter((file) => file.endsWith(".json"))
  .sort();
const parsed = new Map<string, unknown>(
  catalogueFiles.map((file) => {
    const raw = readFileSync(join(LOCALES_DIR, file), "utf8");
    try {
      return [file, JSON.parse(raw) as unknown];
    } catch (error) {
      return [file, new Error(`${file} is not valid JSON: ${String(error)}`)];
    }
  }),
);
const leavesByFile = new Map<string, Leaves>(
  [...parsed].filter(([, value]) => !(value instanceof Error)).map(([f, v]) => [f, leavesOf(v)]),
);
const EN = leavesByFile.get("en.json") ?? new Map<string, string>();

describe("the catalogues", () => {
  test("there is an English catalogue and at least one other", () => {
    expect(catalogueFiles).toContain("en.json");
    expect(catalogueFiles.length).toBeGreaterThan(1);
  });

  test.each(catalogueFiles)("%s is valid JSON, a nested object of non-empty strings", (file) => {
    const value = parsed.get(file);
    if (value instanceof Error) throw value;
    expect(typeof value === "object" && value !== null && !Array.isArray(value), file).toBe(true);
    const bad = [...(leavesByFile.get(file) ?? [])]
      .filter(([, text]) => text.trim() === "" || text.startsWith("<not a string"))
      .map(([key, text]) => `${file}: "${key}" is ${JSON.stringify(text)}`);
    expect(bad).toEqual([]);
  });

  test.each(catalogueFiles.filter((file) => file !== "en.json"))(
    "%s has exactly English's keys, with the plural forms its language needs",
    (file) => {
      const leaves = leavesByFile.get(file);
      expect(leaves, `${file} did not parse`).toBeDefined();
      const tag = file.slice(0, -".json".length);
      expect(parityProblems(EN, leaves ?? new Map(), tag, file)).toEqual([]);
    },
  );

  test("English has the plural forms English needs (one and other)", () => {
    expect(parityProblems(EN, EN, "en", "en.json")).toEqual([]);
  });

  test.each(catalogueFiles.filter((file) => file !== "en.json"))(
    "%s has the same {{placeholders}} as English, key by key",
    (file) => {
      expect(placeholderProblems(EN, leavesByFile.get(file) ?? new Map(), file)).toEqual([]);
    },
  );

  test("the checks can fail: a missing key, an extra key, a lacking plural form, a lost placeholder", () => {
    const en: Leaves = new Map([
      ["a.b", "Hello {{name}}"],
      ["a.c", "Bye"],
      ["n_one", "{{count}} thing"],
      ["n_other", "{{count}} things"],
    ]);
    const other: Leaves = new Map([
      ["a.b", "你好"],
      ["a.d", "多余"],
      ["n_one", "{{count}} 个"],
    ]);
    const problems = parityProblems(en, other, "zh-CN", "xx.json");
    expect(problems).toContain('xx.json: missing key "a.c"');
    expect(problems).toContain('xx.json: extra key "a.d" (not in en.json)');
    expect(problems).toContain('xx.json: "n" lacks "n_other"');
    expect(problems).toContain('xx.json: "n_one" is not a plural form zh-CN uses');
    expect(placeholderProblems(en, other, "xx.json")).toEqual(['xx.json: "a.b" lacks {{name}}']);
    expect(
      parityProblems(en, new Map([...en].filter(([k]) => k !== "n_one")), "en", "y.json"),
    ).toEqual(['y.json: "n" lacks "n_one"']);
  });
});

/** Source files the code names keys in. */
function sourceFiles(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(ext))
    .map((entry) => join(entry.parentPath, entry.name));
}

const KEY = String.raw`[A-Za-z][\w-]*(?:\.[\w-]+)+`;
/** t("key"), it.t('key'), msg("key"), translate("key") / translator(x)("key"): a literal key. */
const CALL = new RegExp(
  String.raw`(?:\b(?:t|msg|translate)|\)|\bit\.t)\(\s*(["'\x60])(${KEY})\1`,
  "g",
);
/** new AppError(status, "code", "key"...). */
const APP_ERROR = new RegExp(
  String.raw`AppError\(\s*[^,()]+,\s*(["'\x60])[^"'\x60]*\1,\s*(["'\x60])(${KEY})\2`,
  "g",
);

/** Keys the code names literally, with file:line; comment lines left out. */
function keysUsedIn(file: string, text: string): Array<{ key: string; where: string }> {
  const found: Array<{ key: string; where: string }> = [];
  const lines = text.split("\n");
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  const isComment = (line: number) => /^\s*(\*|\/\*|\/\/)/.test(lines[line - 1] ?? "");
  for (const match of text.matchAll(CALL)) {
    const line = lineOf(match.index);
    if (!isComment(line)) found.push({ key: match[2] as string, where: `${file}:${line}` });
  }
  for (const match of text.matchAll(APP_ERROR)) {
    const line = lineOf(match.index);
    if (!isComment(line)) found.push({ key: match[3] as string, where: `${file}:${line}` });
  }
  // tooManyAttempts(seconds, "loginAttempts") says the sentence `tooMany.loginAttempts`.
  for (const match of text.matchAll(TOO_MANY)) {
    const line = lineOf(match.index);
    if (!isComment(line))
      found.push({ key: `tooMany.${match[1] as string}`, where: `${file}:${line}` });
  }
  return found;
}

const TOO_MANY = /tooManyAttempts\([^,()]+(?:\([^()]*\))?[^,()]*,\s*"([A-Za-z]+)"\s*\)/g;

/** The catalogue's namespaces ("errors", "layout", ...): a string starting with one is a key. */
const NAMESPACES = new Set([...EN.keys()].map((key) => key.split(".")[0] as string));

/** Identifiers that look like keys and are not: admin's action names (app/features/admin/roles.ts). */
const NOT_KEYS = new Set(["admin.view"]);

/**
 * Other literal strings in TypeScript that are keys by their look: a namespace of the catalogue,
 * a dot, more ("language.saved" as a flash, "errors.tooLarge.title" in a table of pages).
 * File names ("errors.js") are not keys.
 */

function namespacedKeysIn(file: string, text: string): Array<{ key: string; where: string }> {
  const found: Array<{ key: string; where: string }> = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (/^\s*(\*|\/\*|\/\/)/.test(line)) return;
    for (const match of line.matchAll(new RegExp(`(["'\x60])(${KEY})\\1`, "g"))) {
      const key = match[2] as string;
      if (!NAMESPACES.has(key.split(".")[0] as string) || NOT_KEYS.has(key)) continue;
      if (/\.(js|ts|eta|json|css|svg|png)$/.test(key)) continue;
      found.push({ key, where: `${file}:${index + 1}` });
    }
  });
  return found;
}

/** Whether `key` names a string in English, directly or as a plural base. */
const inEnglish = (key: string) =>
  EN.has(key) ||
  [...EN.keys()].some((k) => PLURAL_SUFFIX.test(k) && k.replace(PLURAL_SUFFIX, "") === key);

describe("the code's keys", () => {
  const files = [
    ...sourceFiles(join(projectRoot, "app"), ".ts"),
    ...sourceFiles(join(projectRoot, "app"), ".eta"),
    ...sourceFiles(join(projectRoot, "views"), ".eta"),
  ];

  test("the scan finds keys in the code (layout, errors, the language setting)", () => {
    const used = files.flatMap((file) =>
      keysUsedIn(relative(projectRoot, file), readFileSync(file, "utf8")),
    );
    const keys = new Set(used.map((u) => u.key));
    expect(keys).toContain("layout.skip");
    expect(keys).toContain("language.unsupported");
    expect(keys).toContain("mail.pasteLink");
  });

  test("every key the code names literally is in en.json", () => {
    const missing = files
      .flatMap((file) => keysUsedIn(relative(projectRoot, file), readFileSync(file, "utf8")))
      .filter(({ key }) => !inEnglish(key))
      .map(({ key, where }) => `${where}: "${key}" is not in en.json`);
    expect(missing).toEqual([]);
  });

  test("every other literal string of the code that looks like a catalogue key is in en.json", () => {
    const missing = files
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) => namespacedKeysIn(relative(projectRoot, file), readFileSync(file, "utf8")))
      .filter(({ key }) => !inEnglish(key))
      .map(({ key, where }) => `${where}: "${key}" is not in en.json`);
    expect(missing).toEqual([]);
    const seen = files
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) => namespacedKeysIn(relative(projectRoot, file), readFileSync(file, "utf8")))
      .map(({ key }) => key);
    expect(seen).toContain("language.saved");
    expect(namespacedKeysIn("y.ts", 'flash("layout.nope"); import "./errors.js";')).toEqual([
      { key: "layout.nope", where: "y.ts:1" },
    ]);
  });

  test("the scan can fail: a made-up key is reported with its file and line", () => {
    const source = [
      '// t("in.a.comment")',
      'const a = t("layout.skip");',
      "const b = msg('no.such.key', { n: 1 });",
      'throw new AppError(400, "bad", "also.missing", {});',
      'const c = t("Not a key, a sentence.");',
      'throw tooManyAttempts(attempt.retryAfterSeconds, "noSuchLimit");',
    ].join("\n");
    const used = keysUsedIn("x.ts", source);
    expect(used).toEqual([
      { key: "layout.skip", where: "x.ts:2" },
      { key: "no.such.key", where: "x.ts:3" },
      { key: "also.missing", where: "x.ts:4" },
      { key: "tooMany.noSuchLimit", where: "x.ts:6" },
    ]);
    expect(used.filter(({ key }) => !inEnglish(key)).map(({ key }) => key)).toEqual([
      "no.such.key",
      "also.missing",
      "tooMany.noSuchLimit",
    ]);
  });
});
