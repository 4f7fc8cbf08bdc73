import type { Feature } from "../core/feature.js";
import { activity } from "./activity/index.js";
import { admin } from "./admin/index.js";
import { emailSignIn } from "./email-sign-in/index.js";
import { passkeys } from "./passkeys/index.js";
import { providers } from "./providers/index.js";
import { sessionInspector } from "./session-inspector/index.js";
import { twoFactor } from "./two-factor/index.js";

/**
 * The app's optional capabilities, in the order their routes, panels and buttons appear. To
 * remove one: delete its folder (and test/features/<name>/, test/e2e/<name>*) and its two lines
 * here. To add one: README, "Add a feature".
 */
export const features: readonly Feature[] = [
  activity,
  twoFactor,
  passkeys,
  providers,
  emailSignIn,
  sessionInspector,
  admin,
];
