// `npm run build`: TypeScript's build mode, which compiles only what changed since the last build
// (nothing changed: under a second). Build mode trusts its record (dist/.tsbuildinfo) and does not
// notice an output deleted by hand, so a missing one forces a full build.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const sources = readdirSync("app", { recursive: true, encoding: "utf8" }).filter(
  (file) => file.endsWith(".ts") && !file.endsWith(".d.ts"),
);
const missing = sources.some((file) => !existsSync(join("dist/app", file.replace(/\.ts$/, ".js"))));
const args = ["-b", "tsconfig.build.json", ...(missing ? ["--force"] : [])];
const tsc = spawnSync(process.execPath, [join("node_modules/typescript/bin/tsc"), ...args], {
  stdio: "inherit",
});
process.exit(tsc.status ?? 1);
