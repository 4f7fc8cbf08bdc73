/**
 * Times as people read them: "3 minutes ago", with the exact time (time zone named) for a
 * `<time>` element's title. Pages render them on the server in UTC; public/local-times.js then
 * rewrites the exact times in the reader's own time zone.
 *
 * Intl formatters are made once per locale and options and reused: building one costs about
 * 80 µs and native memory the GC does not see, and a page shows dozens of times.
 */

import { DEFAULT_LOCALE } from "../i18n/index.js";

const LOCALE = DEFAULT_LOCALE;
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

/**
 * A module-level cache of formatters, keyed by locale and options. Bounded: the keys come from
 * this app's code (locales it supports, time zones asked for), but a time zone could one day come
 * from a client, so past MAX_CACHED the oldest formatter is dropped.
 */
const MAX_CACHED = 200;
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const relativeTimeFormats = new Map<string, Intl.RelativeTimeFormat>();

function cached<F>(cache: Map<string, F>, key: string, make: () => F): F {
  let formatter = cache.get(key);
  if (formatter === undefined) {
    formatter = make();
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(key, formatter);
  }
  return formatter;
}

// Options objects are small and flat here: their JSON, keys in a fixed order, is the key.
const keyOf = (locale: string, options: object) =>
  `${locale}\u0000${JSON.stringify(options, Object.keys(options).sort())}`;

/** `new Intl.DateTimeFormat(locale, options)`, made once per locale and options. */
export function dateTimeFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions = {},
): Intl.DateTimeFormat {
  return cached(
    dateTimeFormats,
    keyOf(locale, options),
    () => new Intl.DateTimeFormat(locale, options),
  );
}

/** `new Intl.RelativeTimeFormat(locale, options)`, made once per locale and options. */
export function relativeTimeFormat(
  locale: string,
  options: Intl.RelativeTimeFormatOptions = {},
): Intl.RelativeTimeFormat {
  return cached(
    relativeTimeFormats,
    keyOf(locale, options),
    () => new Intl.RelativeTimeFormat(locale, options),
  );
}

// "auto": "yesterday" and "now" rather than "1 day ago" and "0 seconds ago".
const RELATIVE: Intl.RelativeTimeFormatOptions = { numeric: "auto" };

/** `date` from `now`, in the largest whole unit: "3 minutes ago", "yesterday", "in 4 weeks". */
export function relativeTime(date: Date, now: Date = new Date(), locale = LOCALE): string {
  const ms = date.valueOf() - now.valueOf();
  const [unit, size] = UNITS.find(([, size]) => Math.abs(ms) >= size) ?? ["second", SECOND];
  // Whole units, towards zero: 59 min 59 s is "59 minutes ago", never "60 minutes ago".
  return relativeTimeFormat(locale, RELATIVE).format(Math.trunc(ms / size) || 0, unit);
}

// The same options as public/local-times.js, which formats in the reader's zone.
const EXACT: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "long" };

/** The exact time in `timeZone`, its zone named: "Mar 10, 2026, 8:05:09 AM UTC". */
export function exactTime(date: Date, timeZone = "UTC", locale = LOCALE): string {
  return dateTimeFormat(locale, { ...EXACT, timeZone }).format(date);
}

/** What a template's `<time datetime title>` needs: views/partials/time.eta. */
export interface TimeView {
  iso: string;
  relative: string;
  exact: string;
}

/** `locale`: the reader's (app/i18n's localeOf): "3 minutes ago", "3 分钟前". */
export function timeView(date: Date, now: Date = new Date(), locale = LOCALE): TimeView {
  return {
    iso: date.toISOString(),
    relative: relativeTime(date, now, locale),
    exact: exactTime(date, "UTC", locale),
  };
}
