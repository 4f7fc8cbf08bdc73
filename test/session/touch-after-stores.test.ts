import connectPgSimple from "connect-pg-simple";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import session from "../../app/session/index.js";
import { startHarness, wait } from "../helpers/session-harness.js";
import { ours, type StoreLike } from "../helpers/session-impls.js";
import { recordStore } from "../helpers/session-recording-store.js";
import { createTestSchema, type TestSchema } from "../helpers/test-schema.js";

// connect-pg-simple's touch() only moves its `expire` column: the stored cookie keeps the expiry
// of the last save. touchAfter must not read "last touched" from it alone, or every request
// after the first touchAfter window would touch again (two queries a request instead of one).

const PgStore = connectPgSimple(session);
let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(async () => {
  await schema.drop();
});

function pgStore() {
  return new PgStore({
    pool: schema.pool,
    tableName: "session",
    createTableIfMissing: false,
    pruneSessionInterval: false,
  });
}

describe("touchAfter on connect-pg-simple", () => {
  for (const [label, cookie] of [
    ["a cookie with maxAge", { maxAge: 60_000 }],
    ["a browser-session cookie (no maxAge)", {}],
  ] as const) {
    test(`${label}: after one touch, the next requests inside touchAfter do not touch`, async () => {
      const rec = recordStore(pgStore() as unknown as StoreLike);
      const h = await startHarness({
        impl: ours(),
        options: { store: rec.store, rolling: true, touchAfter: 400, cookie },
      });
      const browser = h.browser();
      await browser.get("/write");
      await wait(500);

      rec.reset();
      await browser.get("/read");
      expect(rec.methods()).toEqual(["get", "touch"]);

      // The stored cookie still says "saved 500 ms ago"; the touch a moment ago is what counts.
      rec.reset();
      await browser.get("/read");
      await browser.get("/read");
      expect(rec.methods()).toEqual(["get", "get"]);
    });
  }
});
