import type { Session } from "./session.js";

/**
 * What the middleware lends the Session methods of one request: how IDs map to store keys, and
 * hooks that keep its "saved?" bookkeeping right when the app saves or regenerates by hand.
 * Kept under a symbol so it never shows in the session data or on `req`'s enumerable keys.
 */
export interface RequestContext {
  storeKey(id: string): string;
  /** Called just before `session.save()` hands the session to the store. */
  willSave(session: Session): void;
}

export const kContext: unique symbol = Symbol("session.context");

export type ContextCarrier = { [kContext]?: RequestContext };

export function contextOf(req: object): RequestContext | undefined {
  return (req as ContextCarrier)[kContext];
}
