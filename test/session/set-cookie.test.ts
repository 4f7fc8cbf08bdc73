import { createRequire } from "node:module";
import { type SetCookie, stringifySetCookie } from "cookie";
import { describe, expect, test } from "vitest";
import { type SetCookieAttributes, setCookieValue } from "../../app/session/set-cookie.js";

const require = createRequire(import.meta.url);

type SetCookieFields = SetCookieAttributes & { name: string; value: string; expires: unknown };

// setCookieValue caches the parts of a Set-Cookie value that do not change from one response to
// the next. Whatever it is given, and in whatever order, it must give what the cookie package's
// stringifySetCookie gives for the same fields: the same string, or the same error (worded as
// express-session words it).

function outcome(write: () => string): { value: string } | { error: string } {
  try {
    return { value: write() };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/** The package's error as express-session words it (its cookie 0.7 leaves the value out). */
function expressSessionWording(result: { value: string } | { error: string }) {
  return "error" in result
    ? { error: result.error.replace(/ is invalid: .*$/s, " is invalid") }
    : result;
}

function expectSameAsPackage(fields: SetCookieFields): void {
  const { name, value, expires, ...attributes } = fields;
  const ours = outcome(() => setCookieValue(name, value, attributes, expires));
  const theirs = expressSessionWording(
    outcome(() =>
      stringifySetCookie({ ...fields, secure: fields.secure === true } as unknown as SetCookie),
    ),
  );
  expect(ours, JSON.stringify(fields)).toEqual(theirs);
}

const base: SetCookieFields = {
  name: "connect.sid",
  value: "s:abc.def",
  domain: undefined,
  path: "/",
  expires: new Date(Date.UTC(2030, 0, 1, 0, 0, 1, 250)),
  httpOnly: true,
  secure: false,
  sameSite: undefined,
  partitioned: undefined,
  priority: undefined,
};

const variations: Partial<SetCookieFields>[] = [
  {},
  { name: "sid" },
  { value: "" },
  { value: "a b;c=d/é" },
  { value: "s:id.sig+/=" },
  { domain: "example.com" },
  { domain: ".example.com", path: "/app" },
  { path: undefined },
  { path: "" },
  { expires: undefined },
  { expires: null },
  { expires: new Date(Date.UTC(2030, 0, 1, 0, 0, 1, 999)) },
  { expires: new Date(Date.UTC(2030, 0, 1, 0, 0, 2, 0)) },
  { expires: new Date(-1500) },
  { httpOnly: false },
  { httpOnly: undefined },
  { secure: true },
  { secure: "auto" },
  { sameSite: "lax" },
  { sameSite: "strict" },
  { sameSite: "none", secure: true },
  { sameSite: true },
  { sameSite: false },
  { partitioned: true, secure: true },
  { priority: "low" },
  { priority: "medium" },
  { priority: "high" },
  { domain: "example.com", secure: true, sameSite: "lax", partitioned: true, priority: "high" },
  // What the package refuses, and in which order it judges: name, value, domain, path,
  // expires, priority, sameSite.
  { name: "bad name" },
  { name: "" },
  { value: "\ud800" },
  { domain: "bad domain" },
  { path: "/a;b" },
  { expires: new Date(Number.NaN) },
  { expires: "Tue, 01 Jan 2030 00:00:00 GMT" },
  { expires: 0 },
  { priority: "urgent" as never },
  { sameSite: "sometimes" as never },
  { domain: "bad domain", expires: new Date(Number.NaN) },
  { expires: new Date(Number.NaN), priority: "urgent" as never },
  { priority: "urgent" as never, sameSite: "sometimes" as never },
  { name: "bad name", domain: "bad domain" },
];

describe("setCookieValue: what stringifySetCookie gives", () => {
  test("for each variation, after the usual fields and after the previous variation", () => {
    for (const variation of variations) {
      expectSameAsPackage(base);
      expectSameAsPackage({ ...base, ...variation });
      // The same again: now from what it cached.
      expectSameAsPackage({ ...base, ...variation });
    }
  });

  test("for every pair of variations, one after the other", () => {
    for (const first of variations) {
      for (const second of variations) {
        expectSameAsPackage({ ...base, ...first });
        expectSameAsPackage({ ...base, ...second });
        expectSameAsPackage({ ...base, ...first, ...second });
      }
    }
  });

  test("expiries across second boundaries, in and out of order", () => {
    const start = Date.UTC(2031, 5, 30, 23, 59, 58, 0);
    const offsets = [0, 1, 999, 1000, 1001, 500, 1999, 2000, 2500, 60_000, 0, -1, -1000];
    for (const offset of offsets) {
      expectSameAsPackage({ ...base, expires: new Date(start + offset) });
    }
  });
});

test("an invalid expiry fails with express-session's own message", () => {
  const invalid = { ...base, expires: new Date(Number.NaN) };
  const { name, value, expires, ...attributes } = invalid;
  const ours = outcome(() => setCookieValue(name, value, attributes, expires));
  const expressSessionCookie = require("express-session/session/cookie") as new (
    options: object,
  ) => {
    serialize(name: string, value: string): string;
  };
  const theirs = outcome(() => new expressSessionCookie({ expires }).serialize(name, value));
  expect(theirs).toEqual({ error: "TypeError: option expires is invalid" });
  expect(ours).toEqual(theirs);
});
