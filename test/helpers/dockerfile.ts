/**
 * Just enough of the Dockerfile and .dockerignore formats to check ours without Docker: stages,
 * instructions (line continuations joined, comments dropped), exec-form arrays, COPY and
 * HEALTHCHECK arguments, and .dockerignore matching as Docker does it.
 */

export interface Instruction {
  /** Upper-cased: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  args: string;
}

export interface Stage {
  /** The image it starts FROM. */
  image: string;
  /** Its `AS` name, if any. */
  name: string | undefined;
  instructions: Instruction[];
}

/** The instructions, grouped by stage (each FROM starts one). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    // Comments (and parser directives) only count at the start of a line, even mid-instruction.
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = `${pending}${line}`.trim();
    pending = "";
    if (full === "") continue;
    const [keyword = "", ...rest] = full.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: full.slice(keyword.length).trim() };
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args.split(/\s+/);
      stages.push({
        image,
        name: as?.toUpperCase() === "AS" ? name : undefined,
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${instruction.keyword} before any FROM: ${rest.join(" ")}`);
    stage.instructions.push(instruction);
  }
  return stages;
}

/** The arguments of an exec-form instruction (`["node", "x.js"]`), or undefined (shell form). */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new Error(`not an array of strings: ${args}`);
  }
  return parsed;
}

export interface CopyArgs {
  /** The stage (or image) of `--from=`, if any. */
  from: string | undefined;
  /** Other flags, e.g. { chown: "node:node" }. */
  flags: Record<string, string>;
  sources: string[];
  destination: string;
}

export function parseCopy(args: string): CopyArgs {
  const words = execForm(args) ?? args.split(/\s+/);
  const flags: Record<string, string> = {};
  const paths: string[] = [];
  for (const word of words) {
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (flag?.[1] && paths.length === 0) flags[flag[1]] = flag[2] ?? "";
    else paths.push(word);
  }
  const destination = paths.pop();
  if (destination === undefined || paths.length === 0) throw new Error(`COPY ${args}`);
  const { from, ...rest } = flags;
  return { from, flags: rest, sources: paths, destination };
}

export interface Healthcheck {
  /** --interval, --timeout, ... without the dashes. */
  options: Record<string, string>;
  /** The exec-form command after CMD. */
  command: string[];
}

export function parseHealthcheck(args: string): Healthcheck {
  const at = args.search(/\bCMD\b/);
  if (at < 0) throw new Error(`HEALTHCHECK without CMD: ${args}`);
  const options: Record<string, string> = {};
  for (const option of args.slice(0, at).trim().split(/\s+/).filter(Boolean)) {
    const match = /^--([a-z-]+)=(.+)$/.exec(option);
    if (!match?.[1] || match[2] === undefined) throw new Error(`HEALTHCHECK option ${option}`);
    options[match[1]] = match[2];
  }
  const command = execForm(args.slice(at + "CMD".length).trim());
  if (!command) throw new Error(`HEALTHCHECK CMD is not in exec form: ${args}`);
  return { options, command };
}

/** Instructions of a stage with this keyword. */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

// Docker's .dockerignore: Go filepath.Match patterns plus `**` (any number of directories),
// relative to the context root; a matched directory excludes everything under it; `!` re-includes;
// the last matching line wins.
function patternRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Whether .dockerignore `text` keeps `path` (relative to the context root) out of the context. */
export function isIgnored(text: string, path: string): boolean {
  const rules = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, regexp: patternRegExp(pattern) };
    });
  const parts = path.split("/");
  // The path itself and each folder above it (a matched folder excludes its contents).
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regexp.test(candidate))) ignored = !rule.negated;
  }
  return ignored;
}
