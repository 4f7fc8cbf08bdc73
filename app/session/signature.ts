import { sign, unsign } from "cookie-signature";
import { LRUCache } from "lru-cache";
import type { Secret } from "./types.js";

const PREFIX = "s:";

/**
 * Signs and verifies session ID cookies: `s:` + ID + `.` + HMAC-SHA256 (base64, no padding),
 * the express-session format. The first secret signs, all verify (rotation); cookie-signature
 * compares in constant time. Values that verified under the current secret are remembered
 * (bounded), so a returning visitor costs no HMAC, and their cookie can be sent back as it came.
 */
export class CookieSigner {
  readonly #secrets: readonly Secret[];
  readonly #current = new LRUCache<string, string>({ max: 10_000 });

  constructor(secrets: readonly Secret[]) {
    this.#secrets = secrets;
  }

  /** The cookie value for a session ID. */
  sign(id: string): string {
    return PREFIX + sign(id, this.#secrets[0] as Secret);
  }

  /**
   * The session ID in a cookie value, if any secret signed it. Unsigned or badly signed values
   * give `undefined`: a fresh session, never an error.
   */
  unsign(value: string): string | undefined {
    const known = this.#current.get(value);
    if (known !== undefined) return known;
    if (!value.startsWith(PREFIX)) return undefined;
    const signed = value.slice(PREFIX.length);
    for (const [index, secret] of this.#secrets.entries()) {
      const id = unsign(signed, secret);
      if (id === false) continue;
      if (index === 0) this.#current.set(value, id);
      return id;
    }
    return undefined;
  }

  /** Whether `value` is exactly what `sign()` gives for its ID now (checked by unsign before). */
  isCurrent(value: string): boolean {
    return this.#current.has(value);
  }
}
