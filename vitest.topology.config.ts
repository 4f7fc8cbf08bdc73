import { defineConfig } from "vitest/config";

// The production topology as local processes (Postgres, migrate, two app instances, Caddy):
// `npm run test:topology`. Needs Debian's caddy and a PostgreSQL server (DATABASE_URL).
export default defineConfig({
  test: {
    include: ["test/topology/**/*.test.ts"],
    fileParallelism: false,
    setupFiles: ["test/setup/pg-deprecations.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
