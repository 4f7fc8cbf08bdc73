// `npm run users -- <command>`: the admin area's command line (app/features/admin/cli.ts). In a
// checkout it runs from the sources (tsx); in the production image, which has neither the sources
// nor tsx, from the build (dist/).
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

const source = "app/features/admin/cli.ts";
const built = "dist/app/features/admin/cli.js";

if (existsSync(source) && existsSync("node_modules/tsx")) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  console.error(
    `npm run users: neither ${source} (with tsx) nor ${built} is here: run it from the project's folder, after npm ci (or npm run build)`,
  );
  process.exitCode = 1;
}
