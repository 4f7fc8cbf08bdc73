import { defineConfig } from "vitest/config";
import { onConsoleLog } from "./test/setup/console.js";

// Browser tests (Playwright driving Debian's Chromium): `npm run test:e2e`. Not part of
// `npm test`, which must run on a machine with only Node.js.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup/pg-deprecations.ts", "test/setup/expected-warnings.ts"],
    onConsoleLog,
    // Node.js 24 calls SubtleCrypto.supports(), which SimpleWebAuthn and jose use to probe for
    // algorithms, experimental, and prints a warning the first time: expected, not shown.
    poolOptions: { forks: { execArgv: ["--disable-warning=ExperimentalWarning"] } },
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
