/**
 * Times as people read them: "3 minutes ago", with the exact time (time zone named) for a
 * `<time>` element's title. Pages render them on the server in UTC; public/local-times.js then
 * rewrites the exact times in the reader's own time zone.
 */

const LOCALE = "en";
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Largest first. Months and years are approximate, as "2 months ago" is.
const UNITS: ReadonlyArray<readonly [Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * DAY],
  ["month", 30 * DAY],
  ["week", 7 * DAY],
  ["day", DAY],
  ["hour", HOUR],
  ["minute", MINUTE],
  ["second", SECOND],
];

// "auto": "yesterday" and "now" rather than "1 day ago" and "0 seconds ago".
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });

/** `date` from `now`, in the largest whole unit: "3 minutes ago", "yesterday", "in 4 weeks". */
export function relativeTime(date: Date, now: Date = new Date()): string {
  const ms = date.valueOf() - now.valueOf();
  const [unit, size] = UNITS.find(([, size]) => Math.abs(ms) >= size) ?? ["second", SECOND];
  // Whole units, towards zero: 59 min 59 s is "59 minutes ago", never "60 minutes ago".
  return relative.format(Math.trunc(ms / size) || 0, unit);
}

// The same options as public/local-times.js, which formats in the reader's zone.
const EXACT: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "long" };

/** The exact time in `timeZone`, its zone named: "Mar 10, 2026, 8:05:09 AM UTC". */
export function exactTime(date: Date, timeZone = "UTC"): string {
  return new Intl.DateTimeFormat(LOCALE, { ...EXACT, timeZone }).format(date);
}

/** What a template's `<time datetime title>` needs: views/partials/time.eta. */
export interface TimeView {
  iso: string;
  relative: string;
  exact: string;
}

export function timeView(date: Date, now: Date = new Date()): TimeView {
  return { iso: date.toISOString(), relative: relativeTime(date, now), exact: exactTime(date) };
}
