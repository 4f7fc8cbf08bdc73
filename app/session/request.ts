import type { TLSSocket } from "node:tls";
import { parse } from "cookie";
import type { Session } from "./session.js";
import type { SessionRequest } from "./types.js";

/** `req.session`, which the app may have deleted or nulled (`unset`). */
export function currentSession(req: SessionRequest): Session | undefined {
  return (req as { session?: Session | null }).session ?? undefined;
}

/** Parse options that leave values as sent (one object, not one per request). */
const AS_SENT = { decode: (value: string) => value };

/**
 * The value of the cookie `name` in the request as it was sent (not percent-decoded: the
 * signer decodes only what it has not seen before), if it sent one.
 */
export function readRawCookie(req: SessionRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  return header ? parse(header, AS_SENT)[name] || undefined : undefined;
}

/** A cookie value percent-decoded as the cookie package decodes it: left as is if malformed. */
export function decodeCookieValue(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Whether this request arrived over TLS. `proxy` undefined defers to Express's `trust proxy`
 * (`req.secure`); `true` believes the first X-Forwarded-Proto value; `false` only a TLS socket.
 */
export function isSecure(req: SessionRequest, proxy: boolean | undefined): boolean {
  if ((req.socket as TLSSocket | undefined)?.encrypted) return true;
  if (proxy === false) return false;
  if (proxy !== true) return req.secure === true;
  const header = req.headers["x-forwarded-proto"];
  const value = (Array.isArray(header) ? header[0] : header) ?? "";
  const comma = value.indexOf(",");
  const first = comma === -1 ? value : value.slice(0, comma);
  return first.trim().toLowerCase() === "https";
}
