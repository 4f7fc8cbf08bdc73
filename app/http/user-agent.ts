import Bowser from "bowser";
import { LRUCache } from "lru-cache";

/** How long a user-agent string no parser recognises may be on the page before it is cut. */
const MAX_RAW = 60;

/**
 * Parsed names, by user-agent string: a page lists many sessions and events from the same few
 * browsers, and bowser parses each string anew (its regular expressions) every time. Bounded,
 * since the strings are the clients' to choose.
 */
const names = new LRUCache<string, string>({ max: 1_000 });

/**
 * A browser's self-reported User-Agent as a person names the device: "Chrome on Linux", "Safari
 * on iOS". Parsed by bowser; a string it does not recognise at all is shown as sent (shortened),
 * since that is all anyone knows about it. Only text: the template escapes it.
 */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return "Unknown browser";
  let name = names.get(userAgent);
  if (name === undefined) {
    name = parse(userAgent);
    names.set(userAgent, name);
  }
  return name;
}

function parse(userAgent: string): string {
  const { browser, os } = Bowser.parse(userAgent);
  if (browser.name && os.name) return `${browser.name} on ${os.name}`;
  if (browser.name) return browser.name;
  return userAgent.length > MAX_RAW ? `${userAgent.slice(0, MAX_RAW - 1)}…` : userAgent;
}
