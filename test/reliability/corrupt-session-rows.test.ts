import { sign } from "cookie-signature";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hashStoreKey } from "../../app/session/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { loggedInClient } from "../helpers/auth.js";
import type { HttpClient } from "../helpers/http-client.js";
import { rawRequest } from "../helpers/raw-http.js";
import { TEST_SECRET } from "../helpers/test-config.js";

/**
 * Session rows of shapes the app never writes (an old version, a bad migration, a hand edit), each
 * found by the fuzz test. Every one must give a page, a fresh session or a redirect: never a 500,
 * never a request left without an answer, never an exception that would end the process.
 */

let app: TestApp;
let ann: HttpClient;
let annId: string;
const uncaught: unknown[] = [];
const record = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on("uncaughtException", record);
  process.on("unhandledRejection", record);
  app = await startTestApp({ autoClose: false });
  ({
    client: ann,
    user: { id: annId },
  } = await loggedInClient(app, "ann@example.com"));
});

afterAll(async () => {
  await app?.close();
  process.off("uncaughtException", record);
  process.off("unhandledRejection", record);
});

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** [what is odd about it, the stored session (Ann's user ID where it says "ANN")] */
const rows: Array<[string, () => Record<string, unknown>]> = [
  [
    "a cookie domain the cookie package cannot write",
    () => ({ cookie: { expires: inAnHour(), domain: "not a domain" } }),
  ],
  [
    "a cookie domain that is not a string",
    () => ({ cookie: { expires: inAnHour(), domain: -3.2e233 } }),
  ],
  ["a cookie path with a semicolon", () => ({ cookie: { expires: inAnHour(), path: "/;x" } })],
  ["an unknown sameSite", () => ({ cookie: { expires: inAnHour(), sameSite: "sideways" } })],
  ["an unknown priority", () => ({ cookie: { expires: inAnHour(), priority: "urgent" } })],
  [
    "an originalMaxAge that is a string",
    () => ({ cookie: { expires: inAnHour(), originalMaxAge: "soon" } }),
  ],
  [
    "an originalMaxAge past any date",
    () => ({ cookie: { expires: inAnHour(), originalMaxAge: 1e300 } }),
  ],
  ["a maxAge key that is a string", () => ({ cookie: { maxAge: "soon" } })],
  [
    "a logged-in session created after the end of time",
    () => ({ cookie: { expires: inAnHour(), createdAt: 1e300 }, passport: { user: "ANN" } }),
  ],
  [
    "a logged-in session that logged in after the end of time",
    () => ({
      cookie: { expires: inAnHour() },
      passport: { user: "ANN" },
      client: { loggedInAt: 1e300 },
    }),
  ],
  [
    "a logged-in session whose client details are a string",
    () => ({ cookie: { expires: inAnHour() }, passport: { user: "ANN" }, client: "phone" }),
  ],
  [
    "a logged-in session whose originalMaxAge is a string",
    () => ({ cookie: { expires: inAnHour(), originalMaxAge: "soon" }, passport: { user: "ANN" } }),
  ],
];

test.each(rows)(
  "a stored session with %s: answered, no 500, and Ann's own pages still work",
  async (_odd, shape) => {
    const id = `odd-${Math.random().toString(36).slice(2)}`;
    const json = JSON.stringify(shape()).replaceAll('"ANN"', JSON.stringify(annId));
    await app.pool.query(
      "insert into session (sid, sess, expire) values ($1, $2::json, now() + interval '1 hour')",
      [hashStoreKey(id), json],
    );
    const cookie = `sid=${encodeURIComponent(`s:${sign(id, TEST_SECRET)}`)}`;
    for (const path of ["/", "/login", "/account", "/nowhere"]) {
      const res = await rawRequest(app.url, { path, headers: [["Cookie", cookie]] });
      expect([200, 303, 404], `${path}: ${res.status}`).toContain(res.status);
    }
    // Ann's account page lists every session of hers, the odd one included.
    expect((await ann.get("/account")).status).toBe(200);
    expect(uncaught).toEqual([]);
    expect(app.logs.entries().filter((entry) => Number(entry.level) >= 50)).toEqual([]);
  },
);
