import { serialize } from "cookie";
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
    const { expires, secure, ...rest } = this.data;
    return serialize(name, value, {
      ...rest,
      ...(expires ? { expires } : {}),
      secure: secure === true,
    });
  }

  toJSON(): CookieData {
    return this.data;
  }
}
