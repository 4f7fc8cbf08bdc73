import { expect, test, vi } from "vitest";
import {
  dateTimeFormat,
  exactTime,
  relativeTime,
  relativeTimeFormat,
  timeView,
} from "../../app/http/time-format.js";

const now = new Date("2026-03-10T12:00:00Z");
const ago = (ms: number) => new Date(now.valueOf() - ms);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

test("times are said relative to now, in the largest whole unit that fits", () => {
  expect(relativeTime(ago(3 * MINUTE + 50 * SECOND), now)).toBe("3 minutes ago");
  expect(relativeTime(ago(1 * MINUTE), now)).toBe("1 minute ago");
  expect(relativeTime(ago(59 * MINUTE + 59 * SECOND), now)).toBe("59 minutes ago");
  expect(relativeTime(ago(2 * HOUR), now)).toBe("2 hours ago");
  expect(relativeTime(ago(DAY + HOUR), now)).toBe("yesterday");
  expect(relativeTime(ago(3 * DAY), now)).toBe("3 days ago");
  expect(relativeTime(ago(15 * DAY), now)).toBe("2 weeks ago");
  expect(relativeTime(ago(70 * DAY), now)).toBe("2 months ago");
  expect(relativeTime(ago(800 * DAY), now)).toBe("2 years ago");
});

test("under a minute is seconds, the same moment is 'now', and the future is 'in ...'", () => {
  expect(relativeTime(ago(20 * SECOND), now)).toBe("20 seconds ago");
  expect(relativeTime(now, now)).toBe("now");
  expect(relativeTime(ago(-20 * DAY), now)).toBe("in 2 weeks");
  expect(relativeTime(ago(-30 * DAY), now)).toBe("next month");
  expect(relativeTime(ago(-(5 * MINUTE + 10 * SECOND)), now)).toBe("in 5 minutes");
});

test("the exact time names its time zone: UTC on the server, any zone asked for", () => {
  const date = new Date("2026-03-10T08:05:09Z");
  expect(exactTime(date)).toBe("Mar 10, 2026, 8:05:09 AM UTC");
  expect(exactTime(date, "Asia/Tokyo")).toBe("Mar 10, 2026, 5:05:09 PM GMT+9");
});

test("timeView gives a template what a <time> element needs", () => {
  const date = ago(3 * MINUTE);
  expect(timeView(date, now)).toEqual({
    iso: "2026-03-10T11:57:00.000Z",
    relative: "3 minutes ago",
    exact: "Mar 10, 2026, 11:57:00 AM UTC",
  });
});

test("formatters are made once per locale and options, and reused", () => {
  // Building an Intl formatter per time shown cost ~80 µs and native memory on every page.
  expect(dateTimeFormat("en", { dateStyle: "medium", timeStyle: "long", timeZone: "UTC" })).toBe(
    dateTimeFormat("en", { timeZone: "UTC", timeStyle: "long", dateStyle: "medium" }),
  );
  expect(dateTimeFormat("en", { timeZone: "UTC" })).not.toBe(
    dateTimeFormat("en", { timeZone: "Asia/Tokyo" }),
  );
  // Keyed by locale as well (other languages come later).
  expect(dateTimeFormat("en", { timeZone: "UTC" })).not.toBe(
    dateTimeFormat("de", { timeZone: "UTC" }),
  );
  expect(relativeTimeFormat("en", { numeric: "auto" })).toBe(
    relativeTimeFormat("en", { numeric: "auto" }),
  );
  const made = vi.spyOn(Intl, "DateTimeFormat");
  try {
    const date = new Date("2026-03-10T08:05:09Z");
    for (let i = 0; i < 100; i++) exactTime(date);
    for (let i = 0; i < 100; i++) timeView(date, now);
    expect(made).not.toHaveBeenCalled();
  } finally {
    made.mockRestore();
  }
});

test("a cached formatter says exactly what a new one would", () => {
  const options: Intl.DateTimeFormatOptions = {
    dateStyle: "medium",
    timeStyle: "long",
    timeZone: "America/New_York",
  };
  for (const ms of [0, 1_700_000_000_000, Date.UTC(2026, 2, 8, 6, 59), Date.UTC(2026, 10, 1, 5)]) {
    const date = new Date(ms);
    expect(exactTime(date, "America/New_York")).toBe(
      new Intl.DateTimeFormat("en", options).format(date),
    );
  }
});

test("an unknown time zone is refused as before, and caches nothing", () => {
  expect(() => exactTime(new Date(), "Nowhere/Atlantis")).toThrow(RangeError);
  expect(() => exactTime(new Date(), "Nowhere/Atlantis")).toThrow(RangeError);
});
