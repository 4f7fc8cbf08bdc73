import { sign, unsign } from "cookie-signature";
import { LRUCache } from "lru-cache";
import { decodeCookieValue } from "./request.js";
import type { Secret } from "./types.js";

const PREFIX = "s:";

/** A cookie value that verified: the session ID it carries, and whether it can go back as it is. */
export interface VerifiedCookie {
  readonly id: string;
  /** The decoded value, when the current secret signed it (so `sign(id)` would give it again). */
  readonly reusable: string | undefined;
}

/**
 * Signs and verifies session ID cookies: `s:` + ID + `.` + HMAC-SHA256 (base64, no padding),
 * the express-session format. The first secret signs, all verify (rotation); cookie-signature
 * compares in constant time. Values that verified under the current secret are remembered
 * (bounded) by the raw value the browser sends, so a returning visitor costs neither a
 * percent-decoding nor an HMAC, and their cookie can be sent back as it came.
 */
export class CookieSigner {
  readonly #secrets: readonly Secret[];
  readonly #current = new LRUCache<string, VerifiedCookie>({ max: 10_000 });

  constructor(secrets: readonly Secret[]) {
    this.#secrets = secrets;
  }

  /** The cookie value for a session ID. */
  sign(id: string): string {
    return PREFIX + sign(id, this.#secrets[0] as Secret);
  }

  /**
   * Verifies a cookie value as the request carried it (still percent-encoded). Unsigned or
   * badly signed values give `undefined`: a fresh session, never an error.
   */
  verify(raw: string): VerifiedCookie | undefined {
    const known = this.#current.get(raw);
    if (known !== undefined) return known;
    const verified = this.verifyDecoded(decodeCookieValue(raw));
    if (verified?.reusable !== undefined) this.#current.set(raw, verified);
    return verified;
  }

  /** Verifies a value already percent-decoded (cookie-parser's `req.cookies`); not remembered. */
  verifyDecoded(value: string): VerifiedCookie | undefined {
    if (!value.startsWith(PREFIX)) return undefined;
    const signed = value.slice(PREFIX.length);
    for (const [index, secret] of this.#secrets.entries()) {
      const id = unsign(signed, secret);
      if (id === false) continue;
      return { id, reusable: index === 0 ? value : undefined };
    }
    return undefined;
  }
}
