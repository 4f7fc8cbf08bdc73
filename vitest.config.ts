import { defineConfig } from "vitest/config";
import { onConsoleLog } from "./test/setup/console.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Browser tests and the production topology need more than Node.js: their own commands.
    exclude: ["test/e2e/**", "test/topology/**", "node_modules/**"],
    // One Postgres (embedded or DATABASE_URL) is shared by every file, so files run one at a time.
    fileParallelism: false,
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup/pg-deprecations.ts", "test/setup/expected-warnings.ts"],
    onConsoleLog,
    // Node.js 24 calls SubtleCrypto.supports(), which SimpleWebAuthn and jose use to probe for
    // algorithms, experimental, and prints a warning the first time: expected, not shown.
    poolOptions: { forks: { execArgv: ["--disable-warning=ExperimentalWarning"] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
