/**
 * Who we are to a passkey (WebAuthn's "relying party"): the RP ID is APP_URL's host name, the
 * expected origin its origin. A browser only makes a passkey for a host name that is the page's
 * own (or a parent domain), in a secure context (https://, or http://localhost): not for an IP
 * address.
 */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/** `name` is what the browser shows when it makes the passkey: APP_NAME. */
export function relyingParty(appUrl: string, name: string): RelyingParty {
  const url = new URL(appUrl);
  return { id: url.hostname, origin: url.origin, name };
}
