import { createHash } from "node:crypto";
import type { Session } from "./session.js";

/**
 * The session's data without its cookie, as the store will see it. Compared as a string (not a
 * hash of it): exact, and no cheaper to hash than to compare.
 */
export function fingerprint(session: Session): string {
  const { cookie: _cookie, ...data } = session as Session & Record<string, unknown>;
  return JSON.stringify(data);
}

/** [beyond] The store key for `hashStoreKeys`: a leaked table holds no usable session IDs. */
export function hashStoreKey(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}
