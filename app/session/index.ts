import type { ServerResponse } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { LRUCache } from "lru-cache";
import onHeaders from "on-headers";
import parseurl from "parseurl";
import { setStoreKey } from "./context.js";
import { Cookie, hasUsableAttributes } from "./cookie.js";
import { shouldDestroy, shouldSave, shouldSetCookie, shouldTouch } from "./decisions.js";
import { hashStoreKey } from "./fingerprint.js";
import { parseDate } from "./json-date.js";
import { MemoryStore } from "./memory-store.js";
import { resolveOptions } from "./options.js";
import { type EndFunction, RequestRecord } from "./record.js";
import { currentSession, isSecure, readRawCookie } from "./request.js";
import { Session, sessionContextOf, setSessionContext } from "./session.js";
import { CookieSigner, type VerifiedCookie } from "./signature.js";
import { Store } from "./store.js";
import type {
  CookieOptions,
  SameSite,
  Secret,
  SessionOptions,
  StoredSessionData,
} from "./types.js";
import { warnOnce } from "./warn.js";

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
    (typeof expires === "string" && !Number.isNaN(parseDate(expires))) ||
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

/** The response, with the two internals of Node's `end()` that holding it back has to mirror. */
type HeldResponse = Response & {
  _implicitHeader?: () => void;
  _contentLength?: number | null;
};

/** The body `res.end(...)` was given, if any (its arguments may also be `(cb)` or `(chunk, cb)`). */
function chunkOf(args: unknown[]): unknown {
  const chunk = args[0];
  return typeof chunk === "function" ? undefined : chunk;
}

/** The encoding `res.end(chunk, encoding)` was given, if any. */
function encodingOf(args: unknown[]): BufferEncoding | undefined {
  const encoding = args[1];
  return typeof encoding === "string" ? (encoding as BufferEncoding) : undefined;
}

/**
 * Session middleware with express-session's API. Per request, four steps over its RequestRecord:
 * read the cookie (the middleware itself), load or start the session (`onLoaded`, `startNew`),
 * decide on Set-Cookie when the headers go out (`decideCookie`), and at `res.end` save, touch or
 * destroy it in the store (`sessionEnd`), holding the end of the response until the store answers
 * (`release`). Nothing an app or a store does in a callback throws past it: errors go to next(err).
 */
function createSessionMiddleware(options: SessionOptions): RequestHandler {
  const opts = resolveOptions(options);
  const { store, name, maxLifetime, touchAfter } = opts;
  const fixedSigner = opts.secrets ? new CookieSigner(opts.secrets) : undefined;
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
      // A regenerated session keeps the request's bookkeeping (a new one gets it in begin()).
      const context = sessionContextOf(currentSession(req));
      req.sessionID = sessionId;
      const session = new Session(req);
      setSessionContext(session, context);
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

  // Without the secret option, each request signs with req.secret (cookie-parser's). The signer
  // of the last one is kept: an app passes cookie-parser the same secret every time.
  let lastSecret: unknown;
  let lastSigner: CookieSigner | undefined;
  function signerFor(req: Request): CookieSigner | undefined {
    if (fixedSigner) return fixedSigner;
    const secret = (req as { secret?: unknown }).secret;
    const usable = typeof secret === "string" ? secret !== "" : Buffer.isBuffer(secret);
    if (!usable) return undefined;
    if (secret !== lastSecret) {
      lastSecret = secret;
      lastSigner = new CookieSigner([secret as Secret]);
    }
    return lastSigner;
  }

  /** Whether the request's path is under the cookie's path. */
  function onCookiePath(req: Request): boolean {
    const cookiePath = opts.cookieFor(req).path || "/";
    // The usual case, a URL that starts with "/" under the cookie path "/", needs no parsing;
    // "OPTIONS *" or an absolute-form URL does.
    const url = req.originalUrl ?? req.url ?? "";
    if (cookiePath === "/" && url.startsWith("/")) return true;
    return (parseurl.original(req)?.pathname || "/").startsWith(cookiePath);
  }

  /**
   * The session ID cookie, verified: from the Cookie header, or else from what cookie-parser left
   * when it ran first (`req.signedCookies`, which it verified; `req.cookies`, verified here).
   */
  function readCookie(req: Request, signer: CookieSigner): VerifiedCookie | undefined {
    const raw = readRawCookie(req, name);
    const verified = raw === undefined ? undefined : signer.verify(raw);
    if (verified) return verified;
    const parsed = req as {
      signedCookies?: Record<string, unknown>;
      cookies?: Record<string, unknown>;
    };
    const signedId = parsed.signedCookies?.[name];
    if (typeof signedId === "string" && signedId !== "") {
      warnOnce(
        "signedCookies",
        "express-session: cookie should be available in req.headers.cookie",
      );
      return { id: signedId, reusable: undefined };
    }
    const value = parsed.cookies?.[name];
    const fromParser = typeof value === "string" ? signer.verifyDecoded(value) : undefined;
    if (fromParser) {
      warnOnce("cookies", "express-session: cookie should be available in req.headers.cookie");
    }
    return fromParser;
  }

  /** Step 2a: a new session for this request, then on to the app. */
  function startNew(record: RequestRecord): void {
    let pending: void | Promise<void>;
    try {
      pending = generate(record.req);
    } catch (err) {
      record.next(err);
      return;
    }
    if (pending) pending.then(() => beginNew(record), record.next);
    else beginNew(record);
  }

  function beginNew(record: RequestRecord): void {
    record.begin(currentSession(record.req) as Session);
    record.next();
  }

  /** Step 2b: what the store answered for the cookie's ID. */
  function onLoaded(record: RequestRecord, err: unknown, stored: unknown): void {
    const { req, next } = record;
    if (err && (err as { code?: unknown }).code !== "ENOENT") {
      next(err);
      return;
    }
    try {
      // A stored session whose cookie is missing or unreadable is replaced, not an error.
      if (err || !isStoredSession(stored)) {
        startNew(record);
        return;
      }
      const createdAt = stored.cookie.createdAt;
      if (
        maxLifetime !== undefined &&
        typeof createdAt === "number" &&
        Date.now() - createdAt >= maxLifetime
      ) {
        // [beyond] Past its absolute lifetime: gone from the store, replaced by a new session.
        store.destroy(storeKey(record.cookieId as string), (destroyErr) =>
          destroyErr ? next(destroyErr) : startNew(record),
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
      next(caught);
      return;
    }
    next();
  }

  /**
   * Step 3: Set-Cookie, if the decision says so, when the headers go out. An error (an app's
   * invalid cookie attribute, data JSON cannot write) skips the cookie and goes to next(err).
   */
  function decideCookie(record: RequestRecord): void {
    if (record.cookieDecided) return;
    record.cookieDecided = true;
    const { req, res } = record;
    try {
      const session = currentSession(req);
      // After res.end() the decisions there already serialised the session: no second time.
      if (!session || !shouldSetCookie(record.ended ? record : record.fresh(), opts)) return;
      // A Secure cookie on a plain-HTTP response would be dropped by the browser anyway.
      if (session.cookie.secure && !isSecure(req, opts.proxy)) return;
      touchOnce(session, record);
      const signed =
        req.sessionID === record.cookieId && record.reusableCookie
          ? record.reusableCookie
          : record.signer.sign(req.sessionID);
      appendSetCookie(res, session.cookie.serialize(name, signed));
    } catch (err) {
      setImmediate(record.next, err);
    }
  }

  /**
   * Usually the headers go out at the end of the response, where this decides on Set-Cookie just
   * before and takes on-headers' writeHead wrapper off again: the wrapper costs more per response
   * than the rest of this middleware. Only while ours is the outermost writeHead wrapper (the
   * first listener on-headers would call anyway): a wrapper added after ours stays in its order.
   */
  function headersNow(record: RequestRecord): void {
    const { res } = record;
    if (!res.headersSent && res.writeHead === record.writeHeadHooked) {
      decideCookie(record);
      res.writeHead = record.writeHeadBefore as Response["writeHead"];
    }
  }

  /**
   * A held `res.end(...)`: its headers are made final now, as Node's `end()` would make them
   * (Content-Length from the body given), so the response is as it would be without the hold,
   * and headers set after it fail as they would. The bytes go out when the store has answered.
   */
  function hold(record: RequestRecord, args: unknown[]): void {
    record.heldEnd = args;
    const res = record.res as HeldResponse;
    headersNow(record);
    if (res.headersSent || typeof res._implicitHeader !== "function") return;
    const chunk = chunkOf(args);
    if (!chunk) res._contentLength = 0;
    else if (typeof chunk === "string")
      res._contentLength = Buffer.byteLength(chunk, encodingOf(args));
    else if (chunk instanceof Uint8Array) res._contentLength = chunk.byteLength;
    res._implicitHeader();
  }

  /** The store answered a held end: report its error, and let the response go out. */
  function release(record: RequestRecord, err: unknown): void {
    if (record.settled) return;
    record.settled = true;
    // As express-session: a late store error goes to the app's error handler.
    if (err) setImmediate(record.next, err);
    const { res, heldEnd, laterEnds } = record;
    const end = record.end as EndFunction;
    try {
      end.apply(res, heldEnd as unknown[]);
      // Calls of res.end made while it was held, now on a response that has ended, as Node has it.
      for (const args of laterEnds ?? []) end.apply(res, args);
    } catch (caught) {
      setImmediate(record.next, caught);
    }
  }

  /** Hands the session to the store with `write`, holding the response until it answers. */
  function writeHeld(
    record: RequestRecord,
    args: unknown[],
    key: string | undefined,
    write: (done: (err?: unknown) => void) => void,
  ): void {
    hold(record, args);
    const started = Date.now();
    const done = (err?: unknown) => {
      if (!err && key !== undefined) recentWrites?.set(key, started);
      release(record, err);
    };
    try {
      write(done);
    } catch (err) {
      done(err);
    }
  }

  /** Whether the store should hear about this unchanged session now (touchAfter). */
  function touchDue(record: RequestRecord, key: string): boolean {
    if (!recentWrites) return true;
    const now = Date.now();
    // The stored cookie is recent enough: no need to ask when this process last wrote it.
    if (now - (record.lastTouch ?? 0) < touchAfter) return false;
    return now - (recentWrites.get(key) ?? 0) >= touchAfter;
  }

  /**
   * Step 4: before the response ends, save, touch or destroy. The response is held until the
   * store has answered, so the client's next request sees what this one wrote.
   */
  function sessionEnd(record: RequestRecord, res: HeldResponse, args: unknown[]): HeldResponse {
    const end = record.end as EndFunction;
    // A second call meets Node's end() on an ended response, as it would without the middleware.
    if (record.ended) {
      if (!record.heldEnd || record.settled) end.apply(res, args);
      else if (record.laterEnds) record.laterEnds.push(args);
      else record.laterEnds = [args];
      return res;
    }
    // A body end() refuses (not a string or bytes): Node's own error, to the caller, at once.
    const chunk = chunkOf(args);
    if (chunk && typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      end.apply(res, args);
      return res;
    }
    record.ended = true;
    const { req } = record;
    try {
      const session = currentSession(req);
      if (!session) {
        if (shouldDestroy(record.fresh(), opts)) {
          const key = storeKey(req.sessionID);
          writeHeld(record, args, undefined, (done) => store.destroy(key, done));
          return res;
        }
      } else {
        touchOnce(session, record);
        record.fresh();
        const key = storeKey(req.sessionID);
        if (shouldSave(record, opts)) {
          writeHeld(record, args, recentWrites && key, (done) => session.save(done));
          return res;
        }
        if (canTouch && shouldTouch(record, opts) && touchDue(record, key)) {
          writeHeld(record, args, recentWrites && key, (done) => store.touch?.(key, session, done));
          return res;
        }
      }
    } catch (err) {
      // The session could not be judged (its data, or its cookie, throws): the response goes
      // out as the app asked, unsaved, and the error to the app's error handler.
      setImmediate(record.next, err);
    }
    headersNow(record);
    end.apply(res, args);
    return res;
  }

  return function session(req: Request, res: Response, next: NextFunction): void {
    // Already has one (an outer session middleware), the store is down, or the path is not the
    // cookie's: carry on without a session.
    if (currentSession(req) || !storeReady || !onCookiePath(req)) {
      next();
      return;
    }
    const signer = signerFor(req);
    if (!signer) {
      next(new Error("secret option required for sessions"));
      return;
    }

    // Step 1: read the cookie.
    req.sessionStore = store;
    const verified = readCookie(req, signer);
    const cookieId = verified?.id;
    req.sessionID = cookieId as string;
    const record = new RequestRecord(req, res, next, signer, cookieId, verified?.reusable);
    // The hooks find the record by closure: a property of ours on `req` or `res` would cost more
    // (adding one after Express has set their prototypes takes microseconds).
    record.writeHeadBefore = res.writeHead;
    onHeaders(res, () => decideCookie(record));
    record.writeHeadHooked = res.writeHead;
    record.end = res.end as EndFunction;
    res.end = function end(this: HeldResponse, ...args: unknown[]) {
      return sessionEnd(record, this, args);
    } as Response["end"];

    // Step 2: load the session named by the cookie, or start a new one.
    if (!cookieId) {
      startNew(record);
      return;
    }
    let answered = false;
    try {
      store.get(storeKey(cookieId), (err, stored) => {
        if (answered) return;
        answered = true;
        onLoaded(record, err, stored);
      });
    } catch (err) {
      if (!answered) next(err);
      answered = true;
    }
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
