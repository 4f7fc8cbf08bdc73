import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Browser tests and the production topology need more than Node.js: their own commands.
    exclude: ["test/e2e/**", "test/topology/**", "node_modules/**"],
    // One Postgres (embedded or DATABASE_URL) is shared by every file, so files run one at a time.
    fileParallelism: false,
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup/pg-deprecations.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
