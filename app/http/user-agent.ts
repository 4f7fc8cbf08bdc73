import Bowser from "bowser";
import { LRUCache } from "lru-cache";
import { DEFAULT_LOCALE, type Message, translator } from "../i18n/index.js";

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
const names = new LRUCache<string, Exclude<Message, string> | "device.unknown">({ max: 1_000 });

/**
 * A browser's self-reported User-Agent as a person names the device, as a Message:
 * "Chrome on Linux" (`device.on`), "Firefox" alone, or "an unknown browser" (`device.unknown`).
 * Never any of the text as sent: it is the client's to choose, and it reaches the owner's mails,
 * the activity trail and the sessions list. Product names (Chrome, Linux) are not translated.
 */
export function deviceMessage(userAgent: string | undefined): Message {
  if (!userAgent) return "device.unknown";
  let name = names.get(userAgent);
  if (name === undefined) {
    name = parse(userAgent);
    names.set(userAgent, name);
  }
  return name;
}

/**
 * The device's name in `locale`: "Chrome on Linux", "Linux 上的 Chrome", "an unknown browser".
 * One function for the sessions list, the activity trail, mails and a new passkey's name.
 */
export function deviceName(userAgent: string | undefined, locale = DEFAULT_LOCALE): string {
  return translator(locale)(deviceMessage(userAgent));
}

function parse(userAgent: string): Exclude<Message, string> | "device.unknown" {
  const { browser, os } = Bowser.parse(userAgent);
  if (!browser.name || !BROWSERS.has(browser.name)) return "device.unknown";
  return os.name && SYSTEMS.has(os.name)
    ? { key: "device.on", values: { browser: browser.name, os: os.name } }
    : { key: "device.browser", values: { browser: browser.name } };
}
