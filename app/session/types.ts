import type { Cookie } from "./cookie.js";
import type { Session } from "./session.js";
import type { Store } from "./store.js";

/**
 * The data an app keeps in a session. Extend it by declaration merging:
 *
 *   declare module "./session/types.js" { interface SessionData { views: number } }
 */
export interface SessionData {
  cookie: Cookie;
}

/** What `req.session` is typed as: the Session methods plus the app's (optional) data. */
export type SessionInstance = Session & Partial<SessionData>;

/** A session as a store hands it back: plain JSON, `cookie.expires` possibly a string. */
export interface StoredSessionData {
  cookie: StoredCookieData;
  [key: string]: unknown;
}

export interface StoredCookieData {
  originalMaxAge?: number | null;
  expires?: string | Date | null;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean | "auto";
  domain?: string;
  sameSite?: boolean | "lax" | "strict" | "none";
  partitioned?: boolean;
  priority?: "low" | "medium" | "high";
  createdAt?: number;
  [key: string]: unknown;
}

export type SameSite = boolean | "lax" | "strict" | "none";
export type Priority = "low" | "medium" | "high";

/** A signing secret; cookie-signature takes strings and Buffers alike. */
export type Secret = string | Buffer;

export interface CookieOptions {
  /** Milliseconds until the cookie expires; `null` (default) makes a browser-session cookie. */
  maxAge?: number | null;
  /** Prefer `maxAge`. When both are given, the one defined last wins. */
  expires?: Date | null;
  path?: string;
  domain?: string;
  httpOnly?: boolean;
  /** `"auto"` follows the security of the request that created the session. */
  secure?: boolean | "auto";
  /** `"auto"`: `"none"` on a secure request, `"lax"` otherwise (resolved when the session is created). */
  sameSite?: SameSite | "auto";
  partitioned?: boolean;
  priority?: Priority;
}

export type ErrorCallback = (err?: unknown) => void;
export type GetCallback = (err: unknown, session?: StoredSessionData | null) => void;

/** The request as the middleware sees it: Express's, or a plain `http` one. */
export type SessionRequest = import("express").Request;

export type GenId = (req: SessionRequest) => string | Promise<string>;

export interface SessionOptions {
  /**
   * Signs the ID cookie (first one) and verifies it (all of them): key rotation. Left out, each
   * request uses `req.secret` (set by cookie-parser) and fails with "secret option required for
   * sessions" when there is none, as in express-session.
   */
  secret?: Secret | Secret[];
  name?: string;
  /** @deprecated express-session's old name for `name`. */
  key?: string;
  /** The cookie's options, or a function giving them for a request. */
  cookie?: CookieOptions | ((req: SessionRequest) => CookieOptions);
  genid?: GenId;
  proxy?: boolean;
  resave?: boolean;
  rolling?: boolean;
  saveUninitialized?: boolean;
  store?: Store;
  unset?: "keep" | "destroy";
  /** [beyond] Absolute lifetime in ms since the session was created, however active it is. */
  maxLifetime?: number;
  /** [beyond] An unchanged session is touched in the store at most once per this many ms. */
  touchAfter?: number;
  /** [beyond] The store is given SHA-256(session ID) as key, never the ID itself. */
  hashStoreKeys?: boolean;
}

declare global {
  namespace Express {
    interface Request {
      session: SessionInstance;
      sessionID: string;
      sessionStore: Store;
    }
  }
}
