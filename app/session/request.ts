import type { TLSSocket } from "node:tls";
import { parse } from "cookie";
import type { Session } from "./session.js";
import type { SessionRequest } from "./types.js";

/** `req.session`, which the app may have deleted or nulled (`unset`). */
export function currentSession(req: SessionRequest): Session | undefined {
  return (req as { session?: Session | null }).session ?? undefined;
}

/** The (decoded) value of the cookie `name` in the request, if it sent one. */
export function readCookie(req: SessionRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  return header ? parse(header)[name] || undefined : undefined;
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
