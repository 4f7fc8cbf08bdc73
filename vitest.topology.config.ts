import { defineConfig } from "vitest/config";
import { onConsoleLog } from "./test/setup/console.js";

// The production topology as local processes (Postgres, migrate, two app instances, Caddy):
// `npm run test:topology`. Needs Debian's caddy and a PostgreSQL server (DATABASE_URL).
export default defineConfig({
  test: {
    include: ["test/topology/**/*.test.ts"],
    fileParallelism: false,
    setupFiles: ["test/setup/pg-deprecations.ts", "test/setup/expected-warnings.ts"],
    onConsoleLog,
    // Node.js 24 calls SubtleCrypto.supports(), which SimpleWebAuthn and jose use to probe for
    // algorithms, experimental, and prints a warning the first time: expected, not shown.
    poolOptions: { forks: { execArgv: ["--disable-warning=ExperimentalWarning"] } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
