import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The core tests (`npm run test:core`): what must keep working with any feature of app/features/
 * removed (.ci/check-feature-removal runs them in a copy without it). Registration, login,
 * logout, password change and the app's smoke tests; none of them touches a feature.
 */
export const coreTests = [
  "test/smoke.test.ts",
  "test/app.test.ts",
  "test/auth/register.test.ts",
  "test/auth/login.test.ts",
  "test/auth/logout.test.ts",
  "test/account/password.test.ts",
];

export default defineConfig({
  ...base,
  test: { ...base.test, include: coreTests },
});
