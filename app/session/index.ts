import type { ServerResponse } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LRUCache } from "lru-cache";
import onHeaders from "on-headers";
import parseurl from "parseurl";
import { type ContextCarrier, kContext, setStoreKey } from "./context.js";
import { Cookie, hasUsableAttributes } from "./cookie.js";
import { shouldDestroy, shouldSave, shouldSetCookie, shouldTouch } from "./decisions.js";
import { hashStoreKey } from "./fingerprint.js";
import { MemoryStore } from "./memory-store.js";
import { resolveOptions } from "./options.js";
import { RequestRecord } from "./record.js";
import { currentSession, isSecure, readRawCookie } from "./request.js";
import { Session } from "./session.js";
import { CookieSigner } from "./signature.js";
import { Store } from "./store.js";
import type { CookieOptions, SameSite, SessionOptions, StoredSessionData } from "./types.js";

/** [beyond] The key the store gets for a session ID when `hashStoreKeys` is on. */
export { hashStoreKey } from "./fingerprint.js";
export type {
  CookieOptions,
  SessionData,
  SessionInstance,
  SessionOptions,
  StoredSessionData,
} from "./types.js";
export { Cookie, MemoryStore, Session, Store };

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === "function";
}

/**
 * A stored value is only a session if it has a cookie with a readable expiry and attributes the
 * Cookie can write back (see hasUsableAttributes).
 */
function isStoredSession(value: unknown): value is StoredSessionData {
  if (typeof value !== "object" || value === null) return false;
  const cookie = (value as { cookie?: unknown }).cookie;
  if (typeof cookie !== "object" || cookie === null) return false;
  const expires = (cookie as { expires?: unknown }).expires;
  // null, undefined and false (the README's `cookie.expires = false`) all mean a browser-session cookie.
  const readableExpiry =
    expires === undefined ||
    expires === null ||
    expires === false ||
    (typeof expires === "string" && !Number.isNaN(Date.parse(expires))) ||
    (expires instanceof Date && !Number.isNaN(expires.valueOf()));
  return readableExpiry && hasUsableAttributes(cookie as Record<string, unknown>);
}

function appendSetCookie(res: ServerResponse, value: string): void {
  const previous = res.getHeader("Set-Cookie");
  const values =
    previous === undefined
      ? [value]
      : Array.isArray(previous)
        ? [...previous, value]
        : [String(previous), value];
  res.setHeader("Set-Cookie", values);
}

/**
 * Session middleware with express-session's API: load the session named by the signed cookie (or
 * create one), attach it to `req`, then when the headers go out decide on Set-Cookie, and before
 * the response ends write, touch or destroy it in the store.
 */
function createSessionMiddleware(options: SessionOptions): RequestHandler {
  const opts = resolveOptions(options);
  const { store, name, maxLifetime, touchAfter } = opts;
  const signer = new CookieSigner(opts.secrets);
  const storeKey = opts.hashStoreKeys ? hashStoreKey : (id: string) => id;
  setStoreKey(store, storeKey);
  const canTouch = typeof store.touch === "function";
  // [beyond] touchAfter: when this process last wrote each session's expiry. Some stores
  // (connect-pg-simple) touch only an expiry column, so the stored cookie cannot tell.
  const recentWrites = touchAfter > 0 ? new LRUCache<string, number>({ max: 10_000 }) : undefined;

  let storeReady = true;
  store.on("disconnect", () => {
    storeReady = false;
  });
  store.on("connect", () => {
    storeReady = true;
  });

  /** A new ID and an empty Session with a cookie made from the options. */
  function generate(req: Request): void | Promise<void> {
    const id = opts.genid(req);
    const attach = (sessionId: string) => {
      req.sessionID = sessionId;
      const session = new Session(req);
      const cookieOptions = opts.cookieFor(req);
      session.cookie = new Cookie(cookieOptions as CookieOptions & { sameSite?: SameSite });
      if (cookieOptions.secure === "auto" || cookieOptions.sameSite === "auto") {
        const secure = isSecure(req, opts.proxy);
        if (cookieOptions.secure === "auto") session.cookie.secure = secure;
        if (cookieOptions.sameSite === "auto") session.cookie.sameSite = secure ? "none" : "lax";
      }
      if (maxLifetime !== undefined) session.cookie.createdAt = Date.now();
      req.session = session;
    };
    if (isPromise(id)) return id.then(attach);
    attach(id);
  }
  // Store#regenerate (base class) calls this, as express-session's stores expect.
  store.generate = generate;

  /** Whether the store should hear about this unchanged session now (touchAfter). */
  function touchDue(record: RequestRecord, key: string): boolean {
    if (!recentWrites) return true;
    const last = Math.max(record.lastTouch ?? 0, recentWrites.get(key) ?? 0);
    return Date.now() - last >= touchAfter;
  }

  /** Wraps a store callback to remember a successful write of this session's expiry. */
  function remembering(key: string, done: (err?: unknown) => void) {
    if (!recentWrites) return done;
    const started = Date.now();
    return (err?: unknown) => {
      if (!err) recentWrites.set(key, started);
      done(err);
    };
  }

  return function session(req: Request, res: Response, next: NextFunction): void {
    // Already has one (an outer session middleware), the store is down, or the path is not the
    // cookie's: carry on without a session.
    if (currentSession(req) || !storeReady) {
      next();
      return;
    }
    const cookiePath = opts.cookieFor(req).path || "/";
    // The usual case, a URL that starts with "/" under the cookie path "/", needs no parsing;
    // "OPTIONS *" or an absolute-form URL does.
    const url = req.originalUrl ?? req.url ?? "";
    if (
      !(cookiePath === "/" && url.startsWith("/")) &&
      !(parseurl.original(req)?.pathname || "/").startsWith(cookiePath)
    ) {
      next();
      return;
    }

    // 1. Read the cookie.
    req.sessionStore = store;
    const raw = readRawCookie(req, name);
    const verified = raw === undefined ? undefined : signer.verify(raw);
    const cookieId = verified?.id;
    req.sessionID = cookieId as string;
    const record = new RequestRecord(req, cookieId, verified?.reusable);
    (req as ContextCarrier)[kContext] = record;

    // 3. When the headers go out: Set-Cookie, if the decision says so. Usually that moment is the
    // end of the response, where endResponse() below decides just before and takes on-headers'
    // writeHead wrapper off again: the wrapper costs more per response than the rest of this
    // middleware. on-headers still catches headers that go out earlier (res.write, res.writeHead,
    // flushHeaders).
    let ended = false;
    let cookieDecided = false;
    const decideCookie = () => {
      if (cookieDecided) return;
      cookieDecided = true;
      const session = currentSession(req);
      // After res.end() the decisions there already serialised the session: no second time.
      if (!session || !shouldSetCookie(ended ? record : record.fresh(), opts)) return;
      // A Secure cookie on a plain-HTTP response would be dropped by the browser anyway.
      if (session.cookie.secure && !isSecure(req, opts.proxy)) return;
      touchOnce(session, record);
      const signed =
        req.sessionID === cookieId && record.reusableCookie
          ? record.reusableCookie
          : signer.sign(req.sessionID);
      appendSetCookie(res, session.cookie.serialize(name, signed));
    };
    const writeHeadBefore = res.writeHead;
    onHeaders(res, decideCookie);
    const writeHeadHooked = res.writeHead;

    // 4. Before the response ends: save, touch or destroy. The response is held open until the
    // store has answered, so the client's next request sees what this one wrote.
    const end = res.end as (...args: unknown[]) => Response;
    const endResponse = (args: unknown[]) => {
      // Only while ours is the outermost writeHead wrapper, i.e. the first listener on-headers
      // would call anyway: a wrapper added after ours keeps the listeners' order by staying put.
      if (!res.headersSent && res.writeHead === writeHeadHooked) {
        decideCookie();
        res.writeHead = writeHeadBefore;
      }
      end.apply(res, args);
    };
    res.end = function sessionEnd(this: Response, ...args: unknown[]) {
      if (ended) return this;
      ended = true;
      const finish = (err?: unknown) => {
        // As express-session: a late store error goes to the app's error handler.
        if (err) setImmediate(() => next(err));
        endResponse(args);
      };

      const session = currentSession(req);
      if (!session) {
        if (shouldDestroy(record.fresh(), opts)) store.destroy(storeKey(req.sessionID), finish);
        else endResponse(args);
        return this;
      }
      touchOnce(session, record);
      record.fresh();
      const key = storeKey(req.sessionID);
      if (shouldSave(record, opts)) {
        session.save(remembering(key, finish));
      } else if (canTouch && shouldTouch(record, opts) && touchDue(record, key)) {
        store.touch?.(key, session, remembering(key, finish));
      } else {
        endResponse(args);
      }
      return this;
    } as Response["end"];

    // 2. Load the session named by the cookie, or start a new one.
    const startNew = () => {
      const attached = () => {
        record.begin(currentSession(req) as Session);
        next();
      };
      const pending = generate(req);
      if (pending) pending.then(attached, (err: unknown) => next(err));
      else attached();
    };

    if (!cookieId) {
      startNew();
      return;
    }

    store.get(storeKey(cookieId), (err, stored) => {
      if (err && (err as { code?: unknown }).code !== "ENOENT") return next(err);
      try {
        if (err || !isStoredSession(stored)) return startNew();
        const createdAt = stored.cookie.createdAt;
        if (
          maxLifetime !== undefined &&
          typeof createdAt === "number" &&
          Date.now() - createdAt >= maxLifetime
        ) {
          // [beyond] Past its absolute lifetime: gone from the store, replaced by a new session.
          store.destroy(storeKey(cookieId), (destroyErr) =>
            destroyErr ? next(destroyErr) : startNew(),
          );
          return;
        }
        const loaded = store.createSession(req, stored);
        record.begin(loaded);
        // With resave off, what was loaded counts as saved: unchanged, it is only touched.
        if (!opts.resave) record.savedData = record.originalData;
        if (maxLifetime !== undefined && typeof loaded.cookie.createdAt !== "number") {
          // A session from before maxLifetime was on: its clock starts now, and the store must
          // learn that (a touch may not rewrite the data), so it is saved at the end.
          loaded.cookie.createdAt = Date.now();
          record.savedData = undefined;
        }
        const { expires, originalMaxAge } = loaded.cookie;
        if (expires && typeof originalMaxAge === "number") {
          record.lastTouch = expires.valueOf() - originalMaxAge;
        }
      } catch (caught) {
        return next(caught);
      }
      next();
    });
  };
}

function touchOnce(session: Session, record: RequestRecord): void {
  if (!record.touched) {
    session.touch();
    record.touched = true;
  }
}

type SessionFactory = typeof createSessionMiddleware & {
  Store: typeof Store;
  MemoryStore: typeof MemoryStore;
  Cookie: typeof Cookie;
  Session: typeof Session;
};

/** `session(options)`, carrying the classes that third-party stores read (`session.Store`). */
const session: SessionFactory = Object.assign(createSessionMiddleware, {
  Store,
  MemoryStore,
  Cookie,
  Session,
});

export default session;
