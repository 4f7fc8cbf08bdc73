import { csrfSync } from "csrf-sync";
import type { Request } from "express";

declare module "../session/types.js" {
  interface SessionData {
    csrfToken: string;
  }
}

function tokenFromRequest(req: Request): string | undefined {
  const body: unknown = req.body;
  const field =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)._csrf : undefined;
  if (typeof field === "string") return field;
  const header = req.headers["x-csrf-token"];
  return typeof header === "string" ? header : undefined;
}

/**
 * Synchroniser-token CSRF protection (csrf-sync, the maintained successor the Express team
 * points to for csurf): the token lives in our session, forms send it as `_csrf`, scripts as
 * `X-CSRF-Token`. GET/HEAD/OPTIONS pass; every other method needs the token.
 */
export const csrf = csrfSync({
  size: 32,
  getTokenFromRequest: tokenFromRequest,
  // Without a session (the store is down) there is no token: the request is refused, not crashed.
  getTokenFromState: (req) => (req as { session?: Request["session"] }).session?.csrfToken,
  storeTokenInState: (req, token) => {
    const session = (req as { session?: Request["session"] }).session;
    if (!session) return;
    if (typeof token === "string") session.csrfToken = token;
    else delete session.csrfToken;
  },
});

export const csrfProtection = csrf.csrfSynchronisedProtection;

/** The current token for a form, creating one (and so a session) when needed. */
export function csrfTokenFor(req: Request): string | undefined {
  const session = (req as { session?: Request["session"] }).session;
  if (!session) return undefined;
  // A Secure cookie cannot reach a plain-HTTP client: storing a token for it would only leave
  // a session row that no request can ever name.
  if (session.cookie.secure === true && !req.secure) return undefined;
  return csrf.generateToken(req);
}
