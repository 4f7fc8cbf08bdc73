import type { Request, Response } from "express";
import type { RequestContext } from "./context.js";
import type { SessionState } from "./decisions.js";
import { fingerprint } from "./fingerprint.js";
import { currentSession } from "./request.js";
import { type Session, setSessionContext } from "./session.js";
import type { CookieSigner } from "./signature.js";

/** `res.end` as the middleware found it (Node's, or an outer wrapper). */
export type EndFunction = (...args: unknown[]) => Response;

/**
 * What the middleware remembers about one request: its session's baseline, the state the decision
 * functions read, and where the response stands (the steps in index.ts are functions of this). `modified` and `saved` serialise the session lazily, at most once between
 * two calls of `fresh()` (the middleware calls it when the headers go out and at the end).
 */
export class RequestRecord implements SessionState, RequestContext {
  /** ID and data as loaded or created: "modified?" compares against these. */
  originalId: string | undefined = undefined;
  originalData: string | undefined = undefined;
  /** Data as last written (or as loaded, with resave off): "saved?" compares against this. */
  savedData: string | undefined = undefined;
  /** When the store last got this session's expiry, as far as we know (for touchAfter). */
  lastTouch: number | undefined = undefined;
  /** The cookie's maxAge was restarted for this response. */
  touched = false;
  /** Set-Cookie was decided on (once per response). */
  cookieDecided = false;
  /** The app called `res.end`. */
  ended = false;
  /** That call waits for the store: its arguments, and any later calls of `res.end`. */
  heldEnd: unknown[] | undefined = undefined;
  laterEnds: unknown[][] | undefined = undefined;
  /** The store answered (once: a store that calls back twice changes nothing). */
  settled = false;
  /** The functions the middleware found on the response, and on-headers' writeHead wrapper. */
  end: EndFunction | undefined = undefined;
  writeHeadBefore: Response["writeHead"] | undefined = undefined;
  writeHeadHooked: Response["writeHead"] | undefined = undefined;
  #data: string | undefined = undefined;

  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly next: (err?: unknown) => void,
    /** Signs and verifies this request's cookie (the secret option's, or req.secret's). */
    readonly signer: CookieSigner,
    /** The verified ID the request's cookie carried. */
    readonly cookieId: string | undefined,
    /** The cookie value itself, when it can be sent back unchanged (same ID, current secret). */
    readonly reusableCookie: string | undefined,
  ) {}

  /** Records what was loaded or created, as the baseline for "modified?" and "saved?". */
  begin(session: Session): void {
    setSessionContext(session, this);
    this.originalId = session.id;
    this.originalData = fingerprint(session);
  }

  /** A new decision: the session may have changed since the last one. */
  fresh(): this {
    this.#data = undefined;
    return this;
  }

  willSave(session: Session): void {
    this.savedData = fingerprint(session);
  }

  get sessionId(): unknown {
    return this.req.sessionID;
  }

  get hasSession(): boolean {
    return currentSession(this.req) !== undefined;
  }

  get modified(): boolean {
    return (
      this.originalId !== currentSession(this.req)?.id || this.originalData !== this.#current()
    );
  }

  get saved(): boolean {
    return this.originalId === currentSession(this.req)?.id && this.savedData === this.#current();
  }

  get hasSavedBaseline(): boolean {
    return this.savedData !== undefined;
  }

  get cookieHasExpiry(): boolean {
    return currentSession(this.req)?.cookie?.expires != null;
  }

  #current(): string {
    this.#data ??= fingerprint(currentSession(this.req) as Session);
    return this.#data;
  }
}
