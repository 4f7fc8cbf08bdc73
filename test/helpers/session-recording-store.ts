import type { Callback, StoredSession, StoreLike } from "./session-impls.js";

/**
 * Wraps any session store so a test can see what the middleware asked of it.
 *
 * The store's own `get`/`set`/`destroy`/`touch` are replaced on the instance by recording
 * wrappers that forward to the original (bound to the store, so stores with private fields such
 * as connect-pg-simple keep working, and `instanceof` is untouched). Calls the store makes to
 * itself go straight to the originals and are not recorded; calls made through the instance
 * (the middleware, `Store.prototype.regenerate`, ...) are.
 *
 * A store's [beyond] `update` (how ours saves a session it loaded) is recorded as a "set" with
 * `updateOnly: true`: to the comparisons with express-session it is the same write, and
 * `failWith("set")` and `delay("set")` apply to it too. An update that writes through the
 * store's own `set` is recorded once.
 */

export type StoreMethod = "get" | "set" | "destroy" | "touch";

export interface StoreCall {
  method: StoreMethod;
  sid: string;
  /** A JSON copy of the session handed to set/touch, taken at call time. */
  session?: StoredSession;
  /** The write went through the store's `update`: it cannot re-create a deleted session. */
  updateOnly?: true;
}

export interface Recorder<S extends StoreLike> {
  store: S;
  calls: StoreCall[];
  /** The methods called so far, e.g. ["get", "touch"]. */
  methods(): StoreMethod[];
  /** Forget the calls recorded so far. */
  reset(): void;
  /** Make the next `times` calls of `method` fail with `err` (without reaching the real store). */
  failWith(method: StoreMethod, err: Error, times?: number): void;
  /** Delay the answer of every call of `method` by `ms` (after the real store answered). */
  delay(method: StoreMethod, ms: number): void;
  /** Read a session straight from the underlying store (not recorded); null when absent. */
  peek(sid: string): Promise<StoredSession | null>;
}

export interface RecordOptions {
  /** Hide the store's `touch` (a store implementing only the required methods). */
  withoutTouch?: boolean;
}

type AnyFn = (...args: unknown[]) => unknown;

export function recordStore<S extends StoreLike>(
  store: S,
  options: RecordOptions = {},
): Recorder<S> {
  const calls: StoreCall[] = [];
  const failures = new Map<StoreMethod, { err: Error; times: number }>();
  const delays = new Map<StoreMethod, number>();
  const originals = new Map<StoreMethod, AnyFn>();
  const target = store as unknown as Record<string, unknown>;
  let inUpdate = false;

  for (const name of ["get", "set", "destroy", "touch", "update"] as const) {
    const original = target[name];
    if (typeof original !== "function") continue;
    const bound = (original as AnyFn).bind(store);
    const method: StoreMethod = name === "update" ? "set" : name;
    if (name !== "update") originals.set(method, bound);
    if (method === "touch" && options.withoutTouch) {
      target.touch = undefined;
      continue;
    }
    target[name] = (...args: unknown[]) => {
      // The write of an update that goes through the store's own `set` (the bundled
      // MemoryStore's does): one write, already recorded as the update.
      if (name === "set" && inUpdate) return bound(...args);
      const sid = args[0] as string;
      const call: StoreCall = { method, sid };
      if (method === "set" || method === "touch") {
        call.session = JSON.parse(JSON.stringify(args[1])) as StoredSession;
      }
      if (name === "update") call.updateOnly = true;
      calls.push(call);
      const callbackIndex = method === "get" || method === "destroy" ? 1 : 2;
      const callback = args[callbackIndex] as ((...a: unknown[]) => void) | undefined;
      const failure = failures.get(method);
      if (failure && failure.times > 0) {
        failure.times -= 1;
        setImmediate(() => callback?.(failure.err));
        return undefined;
      }
      const wait = delays.get(method) ?? 0;
      const forwarded = [...args];
      forwarded[callbackIndex] = (...result: unknown[]) => {
        if (wait > 0) setTimeout(() => callback?.(...result), wait);
        else callback?.(...result);
      };
      if (name !== "update") return bound(...forwarded);
      inUpdate = true;
      try {
        return bound(...forwarded);
      } finally {
        inUpdate = false;
      }
    };
  }

  return {
    store,
    calls,
    methods: () => calls.map((c) => c.method),
    reset: () => {
      calls.length = 0;
    },
    failWith: (method, err, times = Number.POSITIVE_INFINITY) => {
      failures.set(method, { err, times });
    },
    delay: (method, ms) => {
      delays.set(method, ms);
    },
    peek: (sid) =>
      new Promise((resolve, reject) => {
        const get = originals.get("get");
        if (!get) throw new Error("store has no get()");
        get(sid, (err: unknown, sess?: StoredSession | null) => {
          // ENOENT is "not found" by the store contract (session-file-store answers so).
          if (err && (err as { code?: unknown }).code !== "ENOENT") reject(err);
          else resolve(err ? null : (sess ?? null));
        });
      }),
  };
}

/** Promise wrappers for a store's callback API (for arranging and checking state directly). */
export function storeGet(store: StoreLike, sid: string): Promise<StoredSession | null> {
  return new Promise((resolve, reject) => {
    store.get(sid, (err, sess) => (err ? reject(err) : resolve(sess ?? null)));
  });
}

export function storeSet(store: StoreLike, sid: string, session: object): Promise<void> {
  return new Promise((resolve, reject) => {
    store.set(sid, session, ((err?: unknown) => (err ? reject(err) : resolve())) as Callback);
  });
}

export function storeDestroy(store: StoreLike, sid: string): Promise<void> {
  return new Promise((resolve, reject) => {
    store.destroy(sid, ((err?: unknown) => (err ? reject(err) : resolve())) as Callback);
  });
}
