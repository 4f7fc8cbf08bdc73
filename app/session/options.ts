import { randomBytes } from "node:crypto";
import { serialize } from "cookie";
import { MemoryStore } from "./memory-store.js";
import type { Store } from "./store.js";
import type { CookieOptions, GenId, Secret, SessionOptions, SessionRequest } from "./types.js";
import { warnOnce } from "./warn.js";

export interface ResolvedOptions {
  /** Undefined: sign with `req.secret` (cookie-parser's secret), as express-session does. */
  secrets: readonly Secret[] | undefined;
  name: string;
  /** The cookie options for this request (the option may be a function of the request). */
  cookieFor: (req: SessionRequest) => CookieOptions;
  genid: GenId;
  proxy: boolean | undefined;
  resave: boolean;
  rolling: boolean;
  saveUninitialized: boolean;
  store: Store;
  unsetDestroy: boolean;
  maxLifetime: number | undefined;
  touchAfter: number;
  hashStoreKeys: boolean;
}

/** 24 random bytes, URL-safe base64: the same shape of ID as express-session's uid-safe. */
export function defaultGenid(): string {
  return randomBytes(24).toString("base64url");
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new TypeError(`${name} option must be a boolean`);
}

function optionalDuration(value: unknown, name: string, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw new TypeError(
      `${name} option must be a ${allowZero ? "non-negative" : "positive"} number of milliseconds`,
    );
  }
  return value;
}

function resolveSecrets(secret: unknown): Secret[] | undefined {
  if (secret === undefined || secret === null || secret === "" || secret === false) {
    // As express-session: each request then signs with req.secret, or fails without one.
    warnOnce("secret", "express-session: req.secret; provide secret option");
    return undefined;
  }
  const secrets = Array.isArray(secret) ? secret : [secret];
  if (secrets.length === 0) {
    throw new TypeError("secret option array must contain one or more strings");
  }
  for (const s of secrets) {
    const usable = typeof s === "string" ? s !== "" : Buffer.isBuffer(s) && s.length > 0;
    if (!usable) {
      throw new TypeError(
        "secret option must be a non-empty string or Buffer, or an array of them",
      );
    }
  }
  return secrets as Secret[];
}

function checkStore(store: unknown): asserts store is Store {
  const candidate = store as Partial<Record<"get" | "set" | "destroy" | "on", unknown>> | null;
  for (const method of ["get", "set", "destroy", "on"] as const) {
    if (typeof candidate?.[method] !== "function") {
      throw new TypeError(`store option must implement ${method}()`);
    }
  }
}

function checkCookie(cookie: CookieOptions): void {
  const { secure, sameSite, priority, maxAge } = cookie;
  if (secure !== undefined && typeof secure !== "boolean" && secure !== "auto") {
    throw new TypeError('cookie.secure option must be a boolean or "auto"');
  }
  if (sameSite !== undefined && typeof sameSite !== "boolean") {
    const value = String(sameSite).toLowerCase();
    if (value !== "lax" && value !== "strict" && value !== "none" && value !== "auto") {
      throw new TypeError(
        'cookie.sameSite option must be a boolean, "lax", "strict", "none" or "auto"',
      );
    }
  }
  if (
    priority !== undefined &&
    !["low", "medium", "high"].includes(String(priority).toLowerCase())
  ) {
    throw new TypeError('cookie.priority option must be "low", "medium" or "high"');
  }
  if (
    maxAge !== undefined &&
    maxAge !== null &&
    (typeof maxAge !== "number" || Number.isNaN(maxAge))
  ) {
    throw new TypeError("cookie.maxAge option must be a number of milliseconds or null");
  }
}

/** A `__Host-` or `__Secure-` name is refused by browsers unless its attributes match. */
function checkPrefix(name: string, cookie: CookieOptions): void {
  if (name.startsWith("__Secure-") && cookie.secure !== true) {
    throw new TypeError("a __Secure- cookie name requires cookie.secure: true");
  }
  if (name.startsWith("__Host-")) {
    if (cookie.secure !== true)
      throw new TypeError("a __Host- cookie name requires cookie.secure: true");
    if ((cookie.path ?? "/") !== "/")
      throw new TypeError('a __Host- cookie name requires cookie.path "/"');
    if (cookie.domain !== undefined)
      throw new TypeError("a __Host- cookie name forbids cookie.domain");
  }
}

/**
 * Checks every option up front, so a bad value fails here and not at the first request. A missing
 * secret is not an error here (express-session's `req.secret` fallback): see the middleware.
 */
export function resolveOptions(options: SessionOptions | undefined): ResolvedOptions {
  const opts: Partial<SessionOptions> = options ?? {};
  if (typeof opts !== "object") throw new TypeError("options must be an object");

  if (opts.key !== undefined)
    warnOnce("key", "express-session: key option; use name option instead");
  const name = opts.name || opts.key || "connect.sid";
  if (typeof name !== "string" || name === "")
    throw new TypeError("name option must be a non-empty string");

  const cookie = opts.cookie ?? {};
  // A function (express-session 1.19) is asked per request; only an object can be checked now.
  if (typeof cookie !== "function") {
    if (typeof cookie !== "object" || cookie === null) {
      throw new TypeError("cookie option must be an object or a function");
    }
    checkCookie(cookie);
    checkPrefix(name, cookie);
    try {
      // Lets the cookie library judge name, domain and path now rather than on the first response.
      serialize(name, "probe", {
        ...(cookie.domain ? { domain: cookie.domain } : {}),
        path: cookie.path ?? "/",
      });
    } catch (err) {
      throw new TypeError(`invalid session cookie: ${(err as Error).message}`);
    }
  }

  const genid = opts.genid ?? defaultGenid;
  if (typeof genid !== "function") throw new TypeError("genid option must be a function");

  const unset = opts.unset ?? "keep";
  if (unset !== "keep" && unset !== "destroy")
    throw new TypeError('unset option must be "destroy" or "keep"');

  const resave = optionalBoolean(opts.resave, "resave");
  if (resave === undefined)
    warnOnce("resave", "express-session: undefined resave option; provide resave option");
  const saveUninitialized = optionalBoolean(opts.saveUninitialized, "saveUninitialized");
  if (saveUninitialized === undefined) {
    warnOnce(
      "saveUninitialized",
      "express-session: undefined saveUninitialized option; provide saveUninitialized option",
    );
  }

  const store = opts.store ?? new MemoryStore();
  checkStore(store);
  if (process.env.NODE_ENV === "production" && store instanceof MemoryStore) {
    warnOnce(
      "memory",
      "MemoryStore is not designed for production: it leaks memory and does not scale past one process.",
      "Warning",
    );
  }

  // Last: a bad option above is reported as itself, whatever the secret (express-session's order).
  const secrets = resolveSecrets(opts.secret);

  return {
    secrets,
    name,
    cookieFor: typeof cookie === "function" ? cookie : () => cookie,
    genid,
    proxy: optionalBoolean(opts.proxy, "proxy"),
    resave: resave ?? true,
    rolling: optionalBoolean(opts.rolling, "rolling") ?? false,
    saveUninitialized: saveUninitialized ?? true,
    store,
    unsetDestroy: unset === "destroy",
    maxLifetime: optionalDuration(opts.maxLifetime, "maxLifetime", false),
    touchAfter: optionalDuration(opts.touchAfter, "touchAfter", true) ?? 0,
    hashStoreKeys: optionalBoolean(opts.hashStoreKeys, "hashStoreKeys") ?? false,
  };
}
