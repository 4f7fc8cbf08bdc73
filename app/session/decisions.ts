/**
 * The three questions asked at the end of every request, as pure functions of a plain state
 * object, so they can be read and tested without a server. The middleware passes an object whose
 * `modified` and `saved` are computed lazily (they serialise the session).
 */
export interface SessionState {
  /** `req.sessionID` now (a string, unless something replaced it). */
  readonly sessionId: unknown;
  /** The ID the request's cookie carried, verified; undefined for a new visitor. */
  readonly cookieId: string | undefined;
  /** `req.session` still exists (not destroyed, not unset). */
  readonly hasSession: boolean;
  /** The ID changed or the data differs from what was loaded or created. */
  readonly modified: boolean;
  /** The data equals what was last written to (or loaded from, with resave off) the store. */
  readonly saved: boolean;
  /** Something was written or, with resave off, loaded: there is a baseline to compare to. */
  readonly hasSavedBaseline: boolean;
  /** The session cookie has an expiry (it is not a browser-session cookie). */
  readonly cookieHasExpiry: boolean;
}

export interface DecisionOptions {
  readonly saveUninitialized: boolean;
  readonly rolling: boolean;
  readonly unsetDestroy: boolean;
}

function isNew(state: SessionState): boolean {
  return state.cookieId !== state.sessionId;
}

/** Send Set-Cookie? A new session when it will be kept; a loaded one when rolling or re-dated. */
export function shouldSetCookie(state: SessionState, options: DecisionOptions): boolean {
  if (typeof state.sessionId !== "string" || !state.hasSession) return false;
  if (isNew(state)) return options.saveUninitialized || state.modified;
  return options.rolling || (state.cookieHasExpiry && state.modified);
}

/** Write the session to the store at the end of the request? */
export function shouldSave(state: SessionState, options: DecisionOptions): boolean {
  if (typeof state.sessionId !== "string" || !state.hasSession) return false;
  // An uninitialised new session is only kept once something was put in it.
  if (!options.saveUninitialized && !state.hasSavedBaseline && isNew(state)) return state.modified;
  return !state.saved;
}

/** Tell the store the session is still in use (only for a loaded session not being saved)? */
export function shouldTouch(state: SessionState, options: DecisionOptions): boolean {
  if (typeof state.sessionId !== "string" || !state.hasSession) return false;
  return !isNew(state) && !shouldSave(state, options);
}

/** With `unset: "destroy"`, a session the request removed is deleted from the store. */
export function shouldDestroy(state: SessionState, options: DecisionOptions): boolean {
  return Boolean(state.sessionId) && options.unsetDestroy && !state.hasSession;
}
