import Bowser from "bowser";
import { LRUCache } from "lru-cache";

/** What a user agent no parser recognises is called, in a sentence: "from an unknown browser". */
export const UNKNOWN_BROWSER = "an unknown browser";

// The names bowser's own parsers give. Its catch-all parser names a browser after whatever text
// precedes the first "/", which is the client's to choose ("Visit https://evil.example"):
// only a name from these lists is ever shown.
const BROWSERS: ReadonlySet<string> = new Set(Object.values(Bowser.BROWSER_MAP));
const SYSTEMS: ReadonlySet<string> = new Set(Object.values(Bowser.OS_MAP));

/**
 * Parsed names, by user-agent string: a page lists many sessions and events from the same few
 * browsers, and bowser parses each string anew (its regular expressions) every time. Bounded,
 * since the strings are the clients' to choose.
 */
const names = new LRUCache<string, string>({ max: 1_000 });

/**
 * A browser's self-reported User-Agent as a person names the device: "Chrome on Linux", "Safari
 * on iOS", or "an unknown browser". Never any of the text as sent: it is the client's to choose,
 * and it reaches the owner's mails, the activity trail and the sessions list. One function for
 * all three (and a new passkey's name).
 */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return UNKNOWN_BROWSER;
  let name = names.get(userAgent);
  if (name === undefined) {
    name = parse(userAgent);
    names.set(userAgent, name);
  }
  return name;
}

function parse(userAgent: string): string {
  const { browser, os } = Bowser.parse(userAgent);
  if (!browser.name || !BROWSERS.has(browser.name)) return UNKNOWN_BROWSER;
  return os.name && SYSTEMS.has(os.name) ? `${browser.name} on ${os.name}` : browser.name;
}
