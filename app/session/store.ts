import { EventEmitter } from "node:events";
import { storeKey } from "./context.js";
import { Cookie } from "./cookie.js";
import { parseDate } from "./json-date.js";
import { markLoaded, Session } from "./session.js";
import type { ErrorCallback, GetCallback, SessionRequest, StoredSessionData } from "./types.js";

/**
 * The store contract. Required: get, set, destroy. Recommended: touch. Optional: all, clear,
 * length. The base class adds regenerate, load and createSession; the middleware sets generate.
 */
export interface Store extends EventEmitter {
  get(sid: string, callback: GetCallback): void;
  set(sid: string, session: object, callback?: ErrorCallback): void;
  destroy(sid: string, callback?: ErrorCallback): void;
  touch?(sid: string, session: object, callback?: ErrorCallback): void;
  /**
   * [beyond] Optional: writes a session that was loaded from the store only if the store still
   * has it; never creates it. Without it, a loaded session is saved with `set`, which re-creates
   * one that was destroyed while the request was in flight.
   */
  update?(sid: string, session: object, callback?: ErrorCallback): void;
  all?(callback: (err: unknown, sessions?: unknown) => void): void;
  clear?(callback?: ErrorCallback): void;
  length?(callback: (err: unknown, length?: number) => void): void;
  /** Set by the session middleware: puts a new ID and Session on the request. */
  generate?(req: SessionRequest): void | Promise<void>;
  regenerate(req: SessionRequest, callback: ErrorCallback): void;
  load(sid: string, callback: (err?: unknown, session?: Session) => void): void;
  createSession(req: SessionRequest, data: StoredSessionData): Session;
}

export interface StoreConstructor {
  new (options?: unknown): Store;
  /** Stores written for express-session call `Store.call(this)` from a plain function. */
  (this: EventEmitter, options?: unknown): void;
  prototype: Store;
}

// A function, not a class: stores such as memorystore and session-file-store inherit with
// `Store.call(this)` + `util.inherits`, which an ES class constructor would reject.
function StoreBase(this: EventEmitter): void {
  EventEmitter.call(this);
}
Object.setPrototypeOf(StoreBase.prototype, EventEmitter.prototype);
Object.setPrototypeOf(StoreBase, EventEmitter);

const proto = StoreBase.prototype as Store;

proto.regenerate = function regenerate(this: Store, req, callback) {
  this.destroy(storeKey(this, req.sessionID), (err) => {
    const generated = this.generate?.(req);
    if (generated) generated.then(() => callback(err), callback);
    else callback(err);
  });
};

proto.load = function load(this: Store, sid, callback) {
  this.get(storeKey(this, sid), (err, stored) => {
    if (err) return callback(err);
    if (!stored) return callback();
    const req = { sessionID: sid, sessionStore: this } as SessionRequest;
    callback(undefined, this.createSession(req, stored));
  });
};

/** Rebuilds a Session from what the store kept: a real Cookie, `expires` back to a Date. */
proto.createSession = function createSession(this: Store, req, data) {
  const { expires, originalMaxAge } = data.cookie;
  const cookie = new Cookie(data.cookie);
  if (typeof expires === "string") cookie.expires = new Date(parseDate(expires));
  cookie.originalMaxAge = originalMaxAge ?? cookie.originalMaxAge;
  // The store's object is ours to keep (as in express-session): no copy on every request.
  (data as { cookie: unknown }).cookie = cookie;
  const session = new Session(req, data);
  markLoaded(session);
  req.session = session;
  return session;
};

export const Store = StoreBase as unknown as StoreConstructor;
