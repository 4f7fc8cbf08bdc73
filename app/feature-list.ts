import type { Feature } from "./core/feature.js";
import { featureNames } from "./features/index.js";

/** Where a feature's module is: its folder's index.ts (index.js once built). */
export type FeatureLocator = (name: string) => string;

const inThisTree: FeatureLocator = (name) => `./features/${name}/index.js`;

const isFeature = (value: unknown): value is Feature =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as Partial<Feature>).name === "string" &&
  typeof (value as Partial<Feature>).setup === "function";

/**
 * The features a list names, loaded from their folders, in the list's order. Each folder's
 * index.ts exports one Feature whose `name` is the folder's; a name that is not a folder, or a
 * folder without such an export, stops the start with an error that says which. Only this file
 * loads features: the core never imports one, and the list (app/features/index.ts) imports
 * nothing, so removing a feature is deleting its folder and its line there. `locate`: where
 * another tree keeps its features (the guide's test).
 */
export async function loadFeatures(
  names: readonly string[],
  locate: FeatureLocator = inThisTree,
): Promise<Feature[]> {
  return Promise.all(
    names.map(async (name) => {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
        throw new Error(`app/features/index.ts: "${name}" is not a feature's folder name`);
      }
      const module = (await import(locate(name))) as Record<string, unknown>;
      const feature = Object.values(module).find(
        (value): value is Feature => isFeature(value) && value.name === name,
      );
      if (!feature) {
        throw new Error(`app/features/${name}/index.ts exports no Feature named "${name}"`);
      }
      return feature;
    }),
  );
}

/** The app's features: the list of app/features/index.ts, loaded. */
export const features: readonly Feature[] = await loadFeatures(featureNames);
