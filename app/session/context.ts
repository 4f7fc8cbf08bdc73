import type { Session } from "./session.js";

/**
 * What the middleware lends the Session methods of one request: a hook that keeps its "saved?"
 * bookkeeping right when the app saves by hand. Kept in a private field of the Session (see
 * setSessionContext), so it never shows in the session data.
 */
export interface RequestContext {
  /** Called just before `session.save()` hands the session to the store. */
  willSave(session: Session): void;
}

/**
 * How a store's keys derive from session IDs. Set on the store by the middleware (as it sets
 * `store.generate`), so Session methods and Store#load/regenerate, which only see the store,
 * use the same keys: the ID itself, or its SHA-256 under `hashStoreKeys`.
 */
const kStoreKey: unique symbol = Symbol("session.storeKey");

type KeyedStore = { [kStoreKey]?: (id: string) => string };

export function setStoreKey(store: object, key: (id: string) => string): void {
  (store as KeyedStore)[kStoreKey] = key;
}

export function storeKey(store: object, id: string): string {
  const key = (store as KeyedStore)[kStoreKey];
  return key ? key(id) : id;
}
