/**
 * [beyond] Which Session objects were loaded from the store (rather than generated for a new ID).
 * A loaded session that the store lost meanwhile (logged out, revoked, expired) must not be
 * written back: with a store that has `update`, saving it only updates the row if it is still
 * there. A WeakSet, so nothing is added to the session data or its prototype.
 */
const loaded = new WeakSet<object>();

export function markLoaded(session: object): void {
  loaded.add(session);
}

export function wasLoaded(session: object): boolean {
  return loaded.has(session);
}
