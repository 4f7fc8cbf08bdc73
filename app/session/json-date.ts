/**
 * What `Date#toJSON` gives (`toISOString()`, or null for an invalid date), computed faster for
 * dates in the same UTC minute as the previous one: `toISOString()` costs more than everything
 * else in a MemoryStore touch, and the cookies touched in one minute all expire within a minute
 * of each other. JavaScript time has no leap seconds, so every minute is 60,000 ms.
 */
let minuteStart = Number.NaN;
let minutePrefix = "";

export function dateToJson(date: Date): string | null {
  const ms = date.valueOf();
  if (Number.isNaN(ms)) return null;
  const inMinute = ms - minuteStart;
  if (inMinute >= 0 && inMinute < 60_000) {
    const seconds = Math.floor(inMinute / 1000);
    const millis = inMinute - seconds * 1000;
    const ss = seconds < 10 ? `0${seconds}` : `${seconds}`;
    const sss = millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : `${millis}`;
    return `${minutePrefix}${ss}.${sss}Z`;
  }
  const iso = date.toISOString();
  minuteStart = ms - (((ms % 60_000) + 60_000) % 60_000);
  // Everything up to the seconds: "YYYY-MM-DDTHH:mm:" (or "+YYYYYY-…" for far years).
  minutePrefix = iso.slice(0, -"ss.sssZ".length);
  return iso;
}

let parsedText: string | undefined;
let parsedMs = Number.NaN;

/**
 * `Date.parse(text)`, remembered for the last text: a loaded session's expiry is parsed once to
 * judge the record and once more to rebuild its Cookie, one right after the other.
 * (`new Date(text)` is `new Date(Date.parse(text))`.)
 */
export function parseDate(text: string): number {
  if (text !== parsedText) {
    parsedMs = Date.parse(text);
    parsedText = text;
  }
  return parsedMs;
}
