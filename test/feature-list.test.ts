import { join } from "node:path";
import { expect, test } from "vitest";
import { features, loadFeatures } from "../app/feature-list.js";
import { featureNames } from "../app/features/index.js";
import { projectRoot } from "../app/paths.js";

/**
 * app/features/index.ts names the features; app/feature-list.ts loads them: in the list's order,
 * each the Feature its folder's index.ts exports under the folder's name. A wrong line stops the
 * start with an error that names it, rather than an app without the feature.
 */

test("the app's features are the list's, in its order", () => {
  expect(features.map((feature) => feature.name)).toEqual([...featureNames]);
});

test("a line that is not a folder's name is refused before anything is loaded", async () => {
  await expect(loadFeatures(["../../config"])).rejects.toThrow(
    '"../../config" is not a feature\'s folder name',
  );
  await expect(loadFeatures(["Two-Factor"])).rejects.toThrow("is not a feature's folder name");
});

test("a folder that is not there, or that exports no Feature of its name, stops the start", async () => {
  await expect(loadFeatures(["no-such-feature"])).rejects.toThrow();
  // The admin folder's module, asked for under another name: no Feature named so.
  const admin = join(projectRoot, "app/features/admin/index.ts");
  await expect(loadFeatures(["activity"], () => admin)).rejects.toThrow(
    'app/features/activity/index.ts exports no Feature named "activity"',
  );
});
