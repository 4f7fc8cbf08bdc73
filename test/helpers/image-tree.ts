import { cpSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { projectRoot } from "../../app/paths.js";
import {
  execForm,
  instructionsOf,
  parseCopy,
  parseDockerfile,
  parseHealthcheck,
  type Stage,
} from "./dockerfile.js";
import { runToEnd } from "./processes.js";

/** What the image runs, read from the Dockerfile's last stage. */
export interface ImageTree {
  /** The folder laid out as the image's WORKDIR. */
  dir: string;
  /** The image's CMD, e.g. ["node", "dist/app/server.js"]. */
  cmd: string[];
  /** The HEALTHCHECK command. */
  healthcheck: string[];
}

export function finalStage(): Stage {
  const stages = parseDockerfile(readFileSync(join(projectRoot, "Dockerfile"), "utf8"));
  const last = stages.at(-1);
  if (!last) throw new Error("Dockerfile has no FROM");
  return last;
}

/**
 * Lays out `dir` as the Dockerfile's last stage lays out its WORKDIR, without Docker: each
 * `COPY <repo path> <dest>` is copied from the repository, `COPY --from=<build stage> .../dist`
 * is the TypeScript build (tsc -p tsconfig.build.json, into `dir`), and
 * `COPY --from=<deps stage> .../node_modules` links the repository's node_modules (installing
 * production dependencies alone would need the network). A COPY of anything else fails, so the
 * topology test runs whatever the image would contain, and notices what it would lack.
 */
export async function buildImageTree(dir: string): Promise<ImageTree> {
  const stage = finalStage();
  mkdirSync(dir, { recursive: true });
  for (const instruction of instructionsOf(stage, "COPY")) {
    const copy = parseCopy(instruction.args);
    const destination = join(dir, copy.destination);
    if (copy.from === undefined) {
      // As Docker does: a folder's contents go to the destination; a file goes into it when it
      // ends with "/" (or several sources are given), else becomes it.
      const intoFolder = copy.sources.length > 1 || /(^|\/)\.?\/?$/.test(copy.destination);
      for (const source of copy.sources) {
        const from = join(projectRoot, source);
        const isFile = statSync(from).isFile();
        cpSync(from, isFile && intoFolder ? join(destination, basename(source)) : destination, {
          recursive: true,
        });
      }
    } else if (copy.sources.length === 1 && copy.sources[0]?.endsWith("/dist")) {
      await compile(dir);
    } else if (copy.sources.length === 1 && copy.sources[0]?.endsWith("/node_modules")) {
      symlinkSync(join(projectRoot, "node_modules"), destination, "dir");
    } else {
      throw new Error(`image tree: no local equivalent for COPY ${instruction.args}`);
    }
  }
  const cmd = instructionsOf(stage, "CMD").at(-1);
  const healthcheck = instructionsOf(stage, "HEALTHCHECK").at(-1);
  const cmdArgs = cmd && execForm(cmd.args);
  if (!cmdArgs || !healthcheck)
    throw new Error("the last stage needs an exec-form CMD and HEALTHCHECK");
  return { dir, cmd: cmdArgs, healthcheck: parseHealthcheck(healthcheck.args).command };
}

/** `npm run build`, with its output in `dir`/dist instead of the repository's dist/. */
async function compile(dir: string): Promise<void> {
  const tsc = join(projectRoot, "node_modules", "typescript", "bin", "tsc");
  const result = await runToEnd(
    process.execPath,
    [tsc, "-p", "tsconfig.build.json", "--outDir", join(dir, "dist")],
    { cwd: projectRoot, env: { PATH: process.env.PATH ?? "" }, timeoutMs: 120_000 },
  );
  if (result.code !== 0) throw new Error(`tsc failed:\n${result.output}`);
  // As `npm run build` does after tsc: each feature's views and browser files beside its code.
  const copied = await runToEnd(
    process.execPath,
    [join(projectRoot, "scripts", "feature-assets.mjs"), join(dir, "dist")],
    { cwd: projectRoot, env: { PATH: process.env.PATH ?? "" }, timeoutMs: 60_000 },
  );
  if (copied.code !== 0) throw new Error(`copying the features' files failed:\n${copied.output}`);
}
