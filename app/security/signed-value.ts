import { parse } from "cookie";
import signature from "cookie-signature";
import type { Request } from "express";

/**
 * Signed cookie values with a purpose (cookie-signature's HMAC-SHA256, as the session cookie):
 * `<purpose>.<payload>.<signature>`, so a value signed for one purpose (a session ID, a device,
 * a sign-in flow) never passes for another. The first secret signs; every one verifies (rotation).
 */
export function signValue(purpose: string, payload: string, secrets: string[]): string {
  return signature.sign(`${purpose}.${payload}`, secrets[0] as string);
}

/** The payload of the request's cookie `name` if it is signed for `purpose`, else undefined. */
export function readSignedCookie(
  req: Request,
  name: string,
  purpose: string,
  secrets: string[],
): string | undefined {
  const header = req.headers.cookie;
  const value = header ? parse(header)[name] : undefined;
  if (!value) return undefined;
  for (const secret of secrets) {
    const unsigned = signature.unsign(value, secret);
    if (unsigned === false) continue;
    return unsigned.startsWith(`${purpose}.`) ? unsigned.slice(purpose.length + 1) : undefined;
  }
  return undefined;
}
