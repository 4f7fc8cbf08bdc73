import { expect, test } from "vitest";
import { createPool } from "../../app/db/pool.js";
import { testDatabaseUrl } from "../helpers/database.js";
import { captureLogs } from "../helpers/logs.js";

// PGlite ignores per-connection settings, so this is checked against a real server only
// (the CI's second run, with DATABASE_URL set).
test.skipIf(!process.env.DATABASE_URL)(
  "a Pool to a real server stops a statement running longer than 5 s",
  async () => {
    const pool = createPool(testDatabaseUrl(), "server", captureLogs().logger);
    try {
      const { rows } = await pool.query("show statement_timeout");
      expect(rows).toEqual([{ statement_timeout: "5s" }]);
    } finally {
      await pool.end();
    }
  },
);
