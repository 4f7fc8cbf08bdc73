// `npm run users -- <command>`: the admin area's command line (app/features/admin/cli.ts). In a
// checkout it runs from the sources (tsx); in the production image, which has neither the sources
// nor tsx, from the build (dist/).
import { existsSync } from "node:fs";

// Beside this file's folder, wherever it is run from.
const source = new URL("../app/features/admin/cli.ts", import.meta.url);
const built = new URL("../dist/app/features/admin/cli.js", import.meta.url);

if (existsSync(source) && existsSync(new URL("../node_modules/tsx", import.meta.url))) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  console.error(
    "npm run users: neither app/features/admin/cli.ts (with tsx) nor dist/app/features/admin/cli.js is here: run npm ci (or npm run build) first",
  );
  process.exitCode = 1;
}
