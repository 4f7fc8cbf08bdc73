import type { ServerResponse } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import onHeaders from "on-headers";
import parseurl from "parseurl";
import { type ContextCarrier, kContext, type RequestContext, setStoreKey } from "./context.js";
import { Cookie } from "./cookie.js";
import {
  type SessionState,
  shouldDestroy,
  shouldSave,
  shouldSetCookie,
  shouldTouch,
} from "./decisions.js";
import { fingerprint, hashStoreKey } from "./fingerprint.js";
import { MemoryStore } from "./memory-store.js";
import { resolveOptions } from "./options.js";
import { currentSession, isSecure, readSessionId } from "./request.js";
import { Session } from "./session.js";
import { signSessionId } from "./signature.js";
import { Store } from "./store.js";
import type {
  CookieOptions,
  SameSite,
  Secret,
  SessionOptions,
  StoredSessionData,
} from "./types.js";

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

/** What the middleware remembers about one request's session, to answer the end-of-request questions. */
interface RequestRecord {
  /** The verified ID the cookie carried. */
  cookieId: string | undefined;
  /** ID and data as loaded or created: "modified?" compares against these. */
  originalId: string | undefined;
  originalData: string | undefined;
  /** Data as last written (or as loaded, with resave off): "saved?" compares against this. */
  savedData: string | undefined;
  /** When the store last got this session's expiry (from the stored cookie), for touchAfter. */
  lastTouch: number | undefined;
  touched: boolean;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === "function";
}

/** A stored value is only a session if it has a cookie with a readable expiry. */
function isStoredSession(value: unknown): value is StoredSessionData {
  if (typeof value !== "object" || value === null) return false;
  const cookie = (value as { cookie?: unknown }).cookie;
  if (typeof cookie !== "object" || cookie === null) return false;
  const expires = (cookie as { expires?: unknown }).expires;
  // null, undefined and false (the README's `cookie.expires = false`) all mean a browser-session cookie.
  if (expires === undefined || expires === null || expires === false) return true;
  if (typeof expires !== "string" && !(expires instanceof Date)) return false;
  return !Number.isNaN(new Date(expires).valueOf());
}

/** The state the decision functions read, with the data serialised at most once, on demand. */
function snapshot(req: Request, record: RequestRecord): SessionState {
  const session = currentSession(req);
  let data: string | undefined;
  const current = () => {
    data ??= fingerprint(session as Session);
    return data;
  };
  return {
    sessionId: req.sessionID,
    cookieId: record.cookieId,
    hasSession: session !== undefined,
    get modified() {
      return record.originalId !== session?.id || record.originalData !== current();
    },
    get saved() {
      return record.originalId === session?.id && record.savedData === current();
    },
    hasSavedBaseline: record.savedData !== undefined,
    get cookieHasExpiry() {
      return session?.cookie?.expires != null;
    },
  };
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
  const { store, name, secrets, maxLifetime, touchAfter } = opts;
  const storeKey = opts.hashStoreKeys ? hashStoreKey : (id: string) => id;
  setStoreKey(store, storeKey);
  const canTouch = typeof store.touch === "function";

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

  return function session(req: Request, res: Response, next: NextFunction): void {
    // Already has one (an outer session middleware), the store is down, or the path is not the
    // cookie's: carry on without a session.
    const pathname = parseurl.original(req)?.pathname || "/";
    const cookiePath = opts.cookieFor(req).path || "/";
    if (currentSession(req) || !storeReady || !pathname.startsWith(cookiePath)) {
      next();
      return;
    }

    req.sessionStore = store;
    const cookieId = readSessionId(req, name, secrets);
    req.sessionID = cookieId as string;
    const record: RequestRecord = {
      cookieId,
      originalId: undefined,
      originalData: undefined,
      savedData: undefined,
      lastTouch: undefined,
      touched: false,
    };
    const context: RequestContext = {
      willSave(saved) {
        record.savedData = fingerprint(saved);
      },
    };
    (req as ContextCarrier)[kContext] = context;

    const touchOnce = (session: Session) => {
      if (!record.touched) {
        session.touch();
        record.touched = true;
      }
    };

    onHeaders(res, () => {
      const session = currentSession(req);
      if (!session || !shouldSetCookie(snapshot(req, record), opts)) return;
      // A Secure cookie on a plain-HTTP response would be dropped by the browser anyway.
      if (session.cookie.secure && !isSecure(req, opts.proxy)) return;
      touchOnce(session);
      appendSetCookie(
        res,
        session.cookie.serialize(name, signSessionId(req.sessionID, secrets[0] as Secret)),
      );
    });

    // The response is held open until the store has answered, so the client's next request
    // sees what this one wrote.
    const end = res.end as (...args: unknown[]) => Response;
    let ended = false;
    res.end = function sessionEnd(this: Response, ...args: unknown[]) {
      if (ended) return this;
      ended = true;
      const finish = (err?: unknown) => {
        // As express-session: a late store error goes to the app's error handler.
        if (err) setImmediate(() => next(err));
        end.apply(res, args);
      };

      const session = currentSession(req);
      if (!session) {
        if (shouldDestroy(snapshot(req, record), opts))
          store.destroy(storeKey(req.sessionID), finish);
        else end.apply(res, args);
        return this;
      }
      touchOnce(session);
      const state = snapshot(req, record);
      if (shouldSave(state, opts)) {
        session.save(finish);
      } else if (canTouch && shouldTouch(state, opts) && touchDue(record)) {
        store.touch?.(storeKey(req.sessionID), session, finish);
      } else {
        end.apply(res, args);
      }
      return this;
    } as Response["end"];

    const ready = () => {
      const created = currentSession(req) as Session;
      record.originalId = req.sessionID;
      record.originalData = fingerprint(created);
      next();
    };
    const startNew = () => {
      const pending = generate(req);
      if (pending) pending.then(ready, (err: unknown) => next(err));
      else ready();
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
        record.originalId = req.sessionID;
        record.originalData = fingerprint(loaded);
        if (!opts.resave) record.savedData = record.originalData;
        if (maxLifetime !== undefined && typeof loaded.cookie.createdAt !== "number") {
          // A session from before maxLifetime was on: its clock starts now, and the store must
          // learn that (a touch may not rewrite the data), so it is saved at the end.
          loaded.cookie.createdAt = Date.now();
          record.savedData = undefined;
        }
        const { expires, originalMaxAge } = loaded.cookie.data;
        if (expires && typeof originalMaxAge === "number")
          record.lastTouch = expires.valueOf() - originalMaxAge;
      } catch (caught) {
        return next(caught);
      }
      next();
    });
  };

  /** [beyond] touchAfter: skip the store touch if the stored expiry was refreshed recently. */
  function touchDue(record: RequestRecord): boolean {
    if (touchAfter <= 0 || record.lastTouch === undefined) return true;
    return Date.now() - record.lastTouch >= touchAfter;
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
