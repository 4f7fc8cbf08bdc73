import { describe, expect, test } from "vitest";
import { dateToJson, parseDate } from "../../app/session/json-date.js";

// dateToJson must give exactly what Date#toJSON gives: the MemoryStore writes it into the JSON
// that code written for express-session reads back.

describe("dateToJson", () => {
  test("every millisecond across minute, hour, day and year boundaries", () => {
    const starts = [
      Date.UTC(2026, 10, 26, 9, 59, 59, 500), // a minute and an hour
      Date.UTC(2026, 11, 31, 23, 59, 59, 0), // a year
      Date.UTC(2028, 1, 28, 23, 59, 58, 900), // into a leap day
      Date.UTC(1969, 11, 31, 23, 59, 59, 0), // across the epoch, from negative times
    ];
    for (const start of starts) {
      for (let ms = start; ms < start + 3_000; ms++) {
        const date = new Date(ms);
        expect(dateToJson(date), `at ${ms}`).toBe(date.toJSON());
      }
    }
  });

  test("dates far apart, far years and the ends of the range, in any order", () => {
    const samples = [0, -1, 8.64e15, -8.64e15, Date.UTC(-1, 0, 1), Date.UTC(10_000, 0, 1) - 1];
    let seed = 12_345;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      samples.push(Math.round(((seed / 2_147_483_648) * 2 - 1) * 8.64e15));
      samples.push(Date.now() + (seed % 120_000)); // same or next minute as the last one, often
    }
    for (const ms of samples) {
      const date = new Date(ms);
      expect(dateToJson(date), `at ${ms}`).toBe(date.toJSON());
    }
  });

  test("an invalid date gives null, as JSON.stringify writes it", () => {
    expect(dateToJson(new Date(Number.NaN))).toBeNull();
    expect(JSON.stringify({ d: new Date(Number.NaN) })).toBe('{"d":null}');
  });
});

describe("parseDate: Date.parse, remembered for the last text", () => {
  test("gives what Date.parse gives, whatever came before", () => {
    const texts = [
      "2030-01-01T00:00:01.250Z",
      "2030-01-01T00:00:01.250Z",
      "2030-01-01T00:00:01.251Z",
      "not a date",
      "not a date",
      "",
      "Tue, 01 Jan 2030 00:00:01 GMT",
      "2030-01-01T00:00:01.250Z",
      "+275760-09-13T00:00:00.000Z",
      "+275760-09-13T00:00:00.001Z",
    ];
    for (const text of texts) expect(parseDate(text), text).toBe(Date.parse(text));
  });
});
