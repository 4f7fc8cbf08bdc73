import { randomBytes } from "node:crypto";
import cookieParser from "cookie-parser";
import { doubleCsrf } from "csrf-csrf";
import { csrfSync } from "csrf-sync";
import type { Request, RequestHandler, Response } from "express";

declare module "../session/types.js" {
  interface SessionData {
    csrfToken: string;
  }
}

/** A session's CSRF token: random bytes, hex (csrf-sync's `size`, and its format). */
const SESSION_TOKEN_BYTES = 32;

/**
 * Gives a new logged-in session its CSRF token at once, so it is in the login's one write: made
 * later, on the first page, it would make that page view write the session.
 */
export function issueSessionCsrfToken(session: { csrfToken?: string }): void {
  session.csrfToken = randomBytes(SESSION_TOKEN_BYTES).toString("hex");
}

function tokenFromRequest(req: Request): string | undefined {
  const body: unknown = req.body;
  const field =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)._csrf : undefined;
  if (typeof field === "string") return field;
  const header = req.headers["x-csrf-token"];
  return typeof header === "string" ? header : undefined;
}

const sessionOf = (req: Request) => (req as { session?: Request["session"] }).session;

/**
 * Two kinds of CSRF token, one rule: every POST carries one, as `_csrf` (forms) or
 * `X-CSRF-Token` (scripts); GET/HEAD/OPTIONS pass.
 *
 * - Forms for visitors who are not logged in (log in, sign up: `anonymousForms`) use a stateless
 *   signed double-submit token (csrf-csrf): an HMAC-signed value in an HttpOnly cookie that the
 *   form must repeat. Looking at those forms writes no session row.
 * - Every other form uses the synchroniser token (csrf-sync) kept in the session, as csurf did.
 *
 * Both are the Express team's listed successors to csurf.
 */
export interface Csrf {
  protection: RequestHandler;
  /** A token for a form in `anonymousForms`: sets the signed cookie, writes no session. */
  anonymousFormToken(req: Request, res: Response): string;
  /** The session's token for every other form (creating one, and so a session row). */
  sessionToken(req: Request): string | undefined;
}

export interface CsrfOptions {
  /**
   * POST paths whose forms are shown to anonymous visitors: exact paths, or patterns for paths
   * with a parameter (`/^\/password\/reset\/[^/]+$/`).
   */
  anonymousForms: Array<string | RegExp>;
  secrets: string[];
  /** `__Host-` prefixed and Secure in production. */
  production: boolean;
}

export function createCsrf({ anonymousForms, secrets, production }: CsrfOptions): Csrf {
  const exact = new Set(anonymousForms.filter((form) => typeof form === "string"));
  const patterns = anonymousForms.filter((form) => form instanceof RegExp);
  const isStateless = (req: Request) =>
    exact.has(req.path) || patterns.some((pattern) => pattern.test(req.path));

  const sync = csrfSync({
    size: SESSION_TOKEN_BYTES,
    getTokenFromRequest: tokenFromRequest,
    // Without a session (the store is down) there is no token: refused, not crashed.
    getTokenFromState: (req) => sessionOf(req)?.csrfToken,
    storeTokenInState: (req, token) => {
      const session = sessionOf(req);
      if (!session) return;
      if (typeof token === "string") session.csrfToken = token;
      else delete session.csrfToken;
    },
  });

  const double = doubleCsrf({
    getSecret: () => secrets,
    // A visitor who is not logged in has no session to bind the token to: the token is bound to
    // this app's secret, and in production to a __Host- cookie that no subdomain can plant.
    getSessionIdentifier: () => "anonymous form",
    cookieName: production ? "__Host-csrf" : "csrf",
    cookieOptions: { sameSite: "strict", secure: production, httpOnly: true, path: "/" },
    size: 32,
    getCsrfTokenFromRequest: tokenFromRequest,
    errorConfig: { statusCode: 403, message: "invalid csrf token", code: "EBADCSRFTOKEN" },
  });
  const parseCookies = cookieParser();

  const protection: RequestHandler = (req, res, next) => {
    if (!isStateless(req)) return sync.csrfSynchronisedProtection(req, res, next);
    parseCookies(req, res, (err?: unknown) => {
      if (err) return next(err);
      double.doubleCsrfProtection(req, res, next);
    });
  };

  return {
    protection,
    anonymousFormToken(req, res) {
      // A Secure cookie cannot reach a plain-HTTP client: none is sent (the form will be refused).
      if (production && !req.secure) return "";
      // Reuses a valid token the browser already has (other tabs keep working).
      parseCookies(req, res, () => {});
      return double.generateCsrfToken(req, res);
    },
    sessionToken(req) {
      const session = sessionOf(req);
      if (!session) return undefined;
      // A Secure cookie cannot reach a plain-HTTP client: storing a token for it would only
      // leave a session row that no request can ever name.
      if (session.cookie.secure === true && !req.secure) return undefined;
      return sync.generateToken(req);
    },
  };
}
