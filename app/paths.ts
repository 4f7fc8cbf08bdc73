import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The code runs from app/ (tsx) or dist/app/ (node): walk up to the folder that holds
// package.json, so files shipped beside the code (migrations/) are found either way.
function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)));
export const migrationsDir = join(projectRoot, "migrations");
export const viewsDir = join(projectRoot, "views");
export const publicDir = join(projectRoot, "public");
