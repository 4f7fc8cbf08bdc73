import { type SerializeOptions, serialize } from "cookie";
import { setCookieValue } from "./set-cookie.js";
import type { CookieOptions, Priority, SameSite, StoredCookieData } from "./types.js";

/** What `Cookie#data` and `toJSON()` give: the attributes a store keeps. */
export interface CookieData {
  originalMaxAge: number | null;
  partitioned: boolean | undefined;
  priority: Priority | undefined;
  expires: Date | null;
  secure: boolean | "auto" | undefined;
  httpOnly: boolean;
  domain: string | undefined;
  path: string;
  sameSite: SameSite | undefined;
  createdAt?: number;
}

/**
 * The session ID cookie of one session. `maxAge` reads as the milliseconds left and can be
 * assigned; `originalMaxAge` keeps the configured value so `touch()` can restart the countdown.
 */
export class Cookie {
  path = "/";
  httpOnly = true;
  originalMaxAge: number | null = null;
  declare secure?: boolean | "auto";
  declare domain?: string;
  declare sameSite?: SameSite;
  declare partitioned?: boolean;
  declare priority?: Priority;
  /** [beyond] When the session was created (ms since epoch); recorded when `maxLifetime` is on. */
  declare createdAt?: number;
  #expires: Date | null = null;

  constructor(options?: CookieOptions | StoredCookieData) {
    if (options !== undefined && options !== null) {
      if (typeof options !== "object") throw new TypeError("argument options must be a object");
      // Assign in the caller's key order, so of `expires` and `maxAge` the one defined last wins.
      // A Cookie passed in is copied through its data, its accessors not being enumerable.
      const source = (options instanceof Cookie ? options.data : options) as Record<
        string,
        unknown
      >;
      const target = this as unknown as Record<string, unknown>;
      for (const key in source) {
        if (key !== "data") target[key] = source[key];
      }
    }
    if (this.originalMaxAge === undefined || this.originalMaxAge === null) {
      this.originalMaxAge = this.maxAge;
    }
  }

  get expires(): Date | null {
    return this.#expires;
  }

  set expires(date: Date | null) {
    this.#expires = date;
    this.originalMaxAge = this.maxAge;
  }

  /** Milliseconds left, or `null` for a browser-session cookie. */
  get maxAge(): number | null {
    return this.#expires instanceof Date ? this.#expires.valueOf() - Date.now() : this.#expires;
  }

  set maxAge(ms: number | Date | null) {
    if (ms && typeof ms !== "number" && !(ms instanceof Date)) {
      throw new TypeError("maxAge must be a number or Date");
    }
    this.expires = typeof ms === "number" ? new Date(Date.now() + ms) : ms;
  }

  get data(): CookieData {
    const data: CookieData = {
      originalMaxAge: this.originalMaxAge,
      partitioned: this.partitioned,
      priority: this.priority,
      expires: this.#expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite,
    };
    if (this.createdAt !== undefined) data.createdAt = this.createdAt;
    return data;
  }

  /** The `Set-Cookie` value for `name=value` with this cookie's attributes. */
  serialize(name: string, value: string): string {
    // What the cookie package's stringifySetCookie({ name, value, ...attributes }) gives, for
    // less: with rolling this runs on every response (see setCookieValue).
    return setCookieValue(name, value, this, this.#expires || undefined);
  }

  toJSON(): CookieData {
    return this.data;
  }
}

const PLAIN_SAME_SITE = new Set<unknown>([undefined, null, true, false, "lax", "strict", "none"]);

/**
 * A value `maxAge` may take: none (`false` too: the README's `cookie.expires = false`), or ms such
 * that `Date.now() + ms` is still a Date.
 */
function isMaxAge(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  // ±8.64e15 ms around the epoch is the range of a Date.
  return typeof value === "number" && Math.abs(Date.now() + value) <= 8.64e15;
}

const isOptionalString = (value: unknown) =>
  value === undefined || value === null || typeof value === "string";

/**
 * Whether a stored cookie's attributes are ones a Cookie can work with: `touch()` needs a
 * numeric `originalMaxAge`, and `serialize()` throws on a domain, path, sameSite or priority the
 * cookie package cannot write. A corrupt store record has to be caught when it is loaded: at the
 * end of the request, where those run, a throw has nothing to catch it and ends the process.
 */
export function hasUsableAttributes(data: Record<string, unknown>): boolean {
  const { originalMaxAge, maxAge, domain, path, sameSite, priority } = data;
  if (!isMaxAge(originalMaxAge) || !isMaxAge(maxAge)) return false;
  if (!isOptionalString(domain) || !isOptionalString(path)) return false;
  // The usual record (what this class writes with the usual options): nothing more to check.
  if (!domain && (!path || path === "/") && PLAIN_SAME_SITE.has(sameSite) && !priority) return true;
  try {
    serialize("n", "v", { domain, path, sameSite, priority } as SerializeOptions);
    return true;
  } catch {
    return false;
  }
}
