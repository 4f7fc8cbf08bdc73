// The files a feature keeps beside its code (app/features/<name>/views/*.eta, public/*), copied
// next to its compiled code in `dist`, where `new URL("./views/", import.meta.url)` finds them.
// Used by `npm run build` (scripts/build.mjs) and by the topology test's image tree.
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export function copyFeatureAssets(root, dist) {
  const features = join(root, "app", "features");
  for (const entry of readdirSync(features, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const folder of ["views", "public"]) {
      const from = join(features, entry.name, folder);
      const to = join(dist, "app", "features", entry.name, folder);
      rmSync(to, { recursive: true, force: true });
      if (existsSync(from)) cpSync(from, to, { recursive: true });
    }
  }
}

// `node scripts/feature-assets.mjs <dist>`: copy into another build's output.
if (process.argv[1]?.endsWith("feature-assets.mjs") && process.argv[2]) {
  copyFeatureAssets(process.cwd(), process.argv[2]);
}
