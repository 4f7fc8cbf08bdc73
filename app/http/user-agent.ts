import Bowser from "bowser";

/** How long a user-agent string no parser recognises may be on the page before it is cut. */
const MAX_RAW = 60;

/**
 * A browser's self-reported User-Agent as a person names the device: "Chrome on Linux", "Safari
 * on iOS". Parsed by bowser; a string it does not recognise at all is shown as sent (shortened),
 * since that is all anyone knows about it. Only text: the template escapes it.
 */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return "Unknown browser";
  const { browser, os } = Bowser.parse(userAgent);
  if (browser.name && os.name) return `${browser.name} on ${os.name}`;
  if (browser.name) return browser.name;
  return userAgent.length > MAX_RAW ? `${userAgent.slice(0, MAX_RAW - 1)}…` : userAgent;
}
