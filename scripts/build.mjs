// `npm run build`: TypeScript's build mode, which compiles only what changed since the last build
// (nothing changed: under a second). Build mode trusts its record (dist/.tsbuildinfo) and does not
// notice an output deleted by hand, so a missing one forces a full build. Then the files a
// feature keeps beside its code (app/features/<name>/views/*.eta, public/*) are copied next to its
// compiled code, where `new URL("./views/", import.meta.url)` finds them.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { copyFeatureAssets } from "./feature-assets.mjs";

const sources = readdirSync("app", { recursive: true, encoding: "utf8" }).filter(
  (file) => file.endsWith(".ts") && !file.endsWith(".d.ts"),
);
const missing = sources.some((file) => !existsSync(join("dist/app", file.replace(/\.ts$/, ".js"))));
const args = ["-b", "tsconfig.build.json", ...(missing ? ["--force"] : [])];
const tsc = spawnSync(process.execPath, [join("node_modules/typescript/bin/tsc"), ...args], {
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

copyFeatureAssets(".", "dist");
