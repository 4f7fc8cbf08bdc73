import { features } from "../../app/feature-list.js";

/**
 * Whether the app has a feature (app/features/index.ts). A test outside test/features/ that
 * plays an attack or a rule across features (pre-hijacking, device lanes, sudo mode) runs its
 * cases for the features that are there: `test.skipIf(!hasFeature("passkeys"))(...)`. Removing a
 * feature leaves `npm test` green, not red.
 */
export const hasFeature = (name: string): boolean =>
  features.some((feature) => feature.name === name);
