import { afterAll, afterEach, expect } from "vitest";

/**
 * pg 8 prints a deprecation (once per process) for what pg 9 will refuse: a query sent to a client
 * that is still running one, and the other uses it marks "removed in pg@9.0". Each one fails the
 * test during which it was printed, so the suite keeps passing when pg 9 arrives.
 */
const seen: string[] = [];
process.on("warning", (warning) => {
  if (warning.name === "DeprecationWarning" && warning.message.includes("pg@9")) {
    seen.push(warning.message);
  }
});

const noneSeen = () => expect(seen.splice(0), "pg deprecations (pg 9 will throw)").toEqual([]);
afterEach(noneSeen);
afterAll(noneSeen);
