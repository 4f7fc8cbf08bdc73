import pg from "pg";
import { expect, test } from "vitest";
import { testDatabaseUrl } from "./helpers/database.js";

test("the shared database answers", async () => {
  const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1 });
  const { rows } = await pool.query<{ n: number }>("select 1 + 1 as n");
  expect(rows[0]?.n).toBe(2);
  await pool.end();
});
