import { type RequestContext, storeKey } from "./context.js";
import type { Cookie } from "./cookie.js";
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

/** Set in Session's static block: the module's access to a Session's private fields. */
const internals: {
  setContext(session: object, context: RequestContext | undefined): void;
  contextOf(session: unknown): RequestContext | undefined;
  markLoaded(session: unknown): void;
} = {
  setContext: unset,
  contextOf: unset,
  markLoaded: unset,
};

function unset(): never {
  throw new Error("Session internals used before the class was defined");
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
  /**
   * The bookkeeping of the request that made or loaded it (see RequestContext), lent by the
   * middleware. On the session rather than on `req`: a property added to `req` after Express has
   * set its prototype costs a few microseconds per request.
   */
  #context: RequestContext | undefined = undefined;
  /**
   * [beyond] Loaded from the store, rather than generated for a new ID: a loaded session the store
   * lost meanwhile (logged out, revoked, expired) must not be written back (see Store#update).
   */
  #loaded = false;

  static {
    // A store's own createSession may make sessions of another class (express-session's).
    internals.setContext = (session, context) => {
      if (#context in session) session.#context = context;
    };
    internals.contextOf = (session) =>
      typeof session === "object" && session !== null && #context in session
        ? session.#context
        : undefined;
    internals.markLoaded = (session) => {
      if (typeof session === "object" && session !== null && #loaded in session) {
        session.#loaded = true;
      }
    };
  }

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
      this.#context?.willSave(this);
      // [beyond] A loaded session is only updated where the store can: one destroyed while this
      // request was in flight (logout, revoke) stays destroyed.
      if (store.update && this.#loaded) store.update(storeKey(store, this.id), this, done);
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
        const reloaded = store.createSession(req, stored as StoredSessionData);
        // The request's bookkeeping goes on with the session that replaces this one.
        internals.setContext(reloaded, this.#context);
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

/** Lends a session the bookkeeping of the request it belongs to (see RequestContext). */
export function setSessionContext(session: object, context: RequestContext | undefined): void {
  internals.setContext(session, context);
}

/** The request bookkeeping a session was lent, if it is a Session and was lent any. */
export function sessionContextOf(session: unknown): RequestContext | undefined {
  return internals.contextOf(session);
}

/** [beyond] Records that a Session was loaded from the store (anything else is left alone). */
export function markLoaded(session: unknown): void {
  internals.markLoaded(session);
}
