import { inject } from "vitest";

/** The Postgres every test file shares (see test/global-setup.ts). */
export function testDatabaseUrl(): string {
  return inject("databaseUrl");
}
