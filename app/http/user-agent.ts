import Bowser from "bowser";

/** What a user agent no parser recognises is called, in a sentence: "from an unknown browser". */
export const UNKNOWN_BROWSER = "an unknown browser";

// The names bowser's own parsers give. Its catch-all parser names a browser after whatever text
// precedes the first "/", which is the client's to choose ("Visit https://evil.example"):
// only a name from these lists is ever shown.
const BROWSERS: ReadonlySet<string> = new Set(Object.values(Bowser.BROWSER_MAP));
const SYSTEMS: ReadonlySet<string> = new Set(Object.values(Bowser.OS_MAP));

/**
 * A browser's self-reported User-Agent as a person names the device: "Chrome on Linux", "Safari
 * on iOS", or "an unknown browser". Never any of the text as sent: it is the client's to choose,
 * and it reaches the owner's mails, the activity trail and the sessions list. One function for
 * all three (and a new passkey's name).
 */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return UNKNOWN_BROWSER;
  const { browser, os } = Bowser.parse(userAgent);
  if (!browser.name || !BROWSERS.has(browser.name)) return UNKNOWN_BROWSER;
  return os.name && SYSTEMS.has(os.name) ? `${browser.name} on ${os.name}` : browser.name;
}
