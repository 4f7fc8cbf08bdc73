import { sign, unsign } from "cookie-signature";
import type { Secret } from "./types.js";

const PREFIX = "s:";

/** The cookie value for a session ID: `s:` + ID + `.` + HMAC-SHA256 (base64, no padding). */
export function signSessionId(id: string, secret: Secret): string {
  return PREFIX + sign(id, secret);
}

/**
 * The session ID in a cookie value, if it was signed by any of `secrets` (rotation: the first
 * signs, all verify). Unsigned or badly signed values give `undefined`: a fresh session, never
 * an error. cookie-signature compares in constant time.
 */
export function unsignSessionId(value: string, secrets: readonly Secret[]): string | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const signed = value.slice(PREFIX.length);
  for (const secret of secrets) {
    const id = unsign(signed, secret);
    if (id !== false) return id;
  }
  return undefined;
}
