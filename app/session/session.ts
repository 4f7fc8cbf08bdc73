import { contextOf, storeKey } from "./context.js";
import type { Cookie } from "./cookie.js";
import { wasLoaded } from "./loaded.js";
import type { ErrorCallback, SessionRequest, StoredSessionData } from "./types.js";

type Done = (err?: unknown) => void;

/**
 * Runs `work` with a completion callback. With a callback the caller's is used and the session
 * is returned (express-session's contract); without one, a Promise is returned [beyond].
 */
function callbackOrPromise<T>(self: T, cb: ErrorCallback | undefined, work: (done: Done) => void) {
  if (cb) {
    work(cb);
    return self;
  }
  return new Promise<void>((resolve, reject) => {
    work((err) => (err ? reject(err) : resolve()));
  });
}

/**
 * One user's session: their data as plain enumerable properties (what the store serialises),
 * plus `id`, `req` and the methods, none of which is enumerable or stored.
 */
export class Session {
  declare cookie: Cookie;
  // Private fields behind prototype getters: neither enumerable nor stored, like express-session's
  // non-enumerable own properties, and without two defineProperty calls on every request.
  readonly #req: SessionRequest;
  readonly #id: string;

  constructor(req: SessionRequest, data?: object | null) {
    this.#req = req;
    this.#id = req.sessionID;
    if (typeof data === "object" && data !== null) {
      const target = this as unknown as Record<string, unknown>;
      const source = data as Record<string, unknown>;
      for (const prop in source) {
        // Stored keys never shadow the methods or id/req.
        if (!(prop in this)) target[prop] = source[prop];
      }
    }
  }

  /** The session ID, fixed when the session was made (a regenerated one is a new Session). */
  get id(): string {
    return this.#id;
  }

  /** The request this session belongs to. */
  get req(): SessionRequest {
    return this.#req;
  }

  /** Restarts the cookie's countdown from its original maxAge. */
  touch(): this {
    return this.resetMaxAge();
  }

  resetMaxAge(): this {
    this.cookie.maxAge = this.cookie.originalMaxAge;
    return this;
  }

  /** Writes the session to the store now (end of request then skips it unless changed again). */
  save(): Promise<void>;
  save(cb: ErrorCallback): this;
  save(cb?: ErrorCallback): this | Promise<void> {
    return callbackOrPromise(this, cb, (done) => {
      const store = this.req.sessionStore;
      contextOf(this.req)?.willSave(this);
      // [beyond] A loaded session is only updated where the store can: one destroyed while this
      // request was in flight (logout, revoke) stays destroyed.
      if (store.update && wasLoaded(this)) store.update(storeKey(store, this.id), this, done);
      else store.set(storeKey(store, this.id), this, done);
    });
  }

  /** Re-reads the session from the store into `req.session`; an error if it is gone. */
  reload(): Promise<void>;
  reload(cb: ErrorCallback): this;
  reload(cb?: ErrorCallback): this | Promise<void> {
    return callbackOrPromise(this, cb, (done) => {
      const { req } = this;
      const store = req.sessionStore;
      store.get(storeKey(store, this.id), (err, stored) => {
        if (err) return done(err);
        if (!stored) return done(new Error("failed to load session"));
        store.createSession(req, stored as StoredSessionData);
        done();
      });
    });
  }

  /** Deletes the session from the store and unsets `req.session`. */
  destroy(): Promise<void>;
  destroy(cb: ErrorCallback): this;
  destroy(cb?: ErrorCallback): this | Promise<void> {
    return callbackOrPromise(this, cb, (done) => {
      const { req } = this;
      delete (req as { session?: unknown }).session;
      req.sessionStore.destroy(storeKey(req.sessionStore, this.id), done);
    });
  }

  /** Destroys this session and puts a fresh one, with a new ID, at `req.session`. */
  regenerate(): Promise<void>;
  regenerate(cb: ErrorCallback): this;
  regenerate(cb?: ErrorCallback): this | Promise<void> {
    return callbackOrPromise(this, cb, (done) => {
      this.req.sessionStore.regenerate(this.req, done);
    });
  }
}
