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
 * `X-CSRF-Token` (scripts); GET/HEAD/OPTIONS pass. Which kind a form gets, and which kind a POST
 * must carry, follows from who sends it, never from a list of paths:
 *
 * - A logged-in request (`req.user`) must carry the synchroniser token (csrf-sync) kept in its
 *   session, as csurf did.
 * - Any other request carries either its session's token (a session that has one, such as the
 *   pending second-factor step), or a stateless signed double-submit token (csrf-csrf): an
 *   HMAC-signed value in an HttpOnly, SameSite=Strict cookie (`__Host-` in production) that the
 *   form repeats. Looking at such a form writes no session row.
 *
 * So a new form, public or private, needs nothing but `formToken(req, res)` (templates:
 * `<%= it.csrf() %>`). Both are the Express team's listed successors to csurf.
 */
export interface Csrf {
  protection: RequestHandler;
  /**
   * The token for any form or script on this page: the session's token when logged in, else a
   * stateless one (sets the signed cookie, writes no session). The one way to put a token in a form.
   */
  formToken(req: Request, res: Response): string;
  /** A stateless token (sets the signed cookie, writes no session): `formToken` when logged out. */
  anonymousFormToken(req: Request, res: Response): string;
  /** The session's token (creating one, and so a session row): `formToken` when logged in. */
  sessionToken(req: Request): string | undefined;
}

export interface CsrfOptions {
  secrets: string[];
  /** `__Host-` prefixed and Secure in production. */
  production: boolean;
  /** The stateless token's cookie (`csrf`, `__Host-csrf` in production). */
  cookieName: string;
}

export function createCsrf({ secrets, production, cookieName }: CsrfOptions): Csrf {
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
    cookieName,
    cookieOptions: { sameSite: "strict", secure: production, httpOnly: true, path: "/" },
    size: 32,
    getCsrfTokenFromRequest: tokenFromRequest,
    errorConfig: { statusCode: 403, message: "invalid csrf token", code: "EBADCSRFTOKEN" },
  });
  const parseCookies = cookieParser();

  const stateless: RequestHandler = (req, res, next) => {
    parseCookies(req, res, (err?: unknown) => {
      if (err) return next(err);
      double.doubleCsrfProtection(req, res, next);
    });
  };

  const protection: RequestHandler = (req, res, next) => {
    // Logged in: only the session's own token will do.
    if (req.user) return sync.csrfSynchronisedProtection(req, res, next);
    // Not logged in: the session's token if it has one, else the stateless pair.
    if (sessionOf(req)?.csrfToken === undefined) return stateless(req, res, next);
    sync.csrfSynchronisedProtection(req, res, (err?: unknown) =>
      err ? stateless(req, res, next) : next(),
    );
  };

  // One stateless token a response: each would set the cookie anew, and only the last match it.
  const issued = new WeakMap<Response, string>();
  const anonymousFormToken = (req: Request, res: Response): string => {
    const earlier = issued.get(res);
    if (earlier !== undefined) return earlier;
    // A page holding this browser's token (and setting its cookie) is never cached.
    res.set("Cache-Control", "no-store");
    // A Secure cookie cannot reach a plain-HTTP client: none is sent (the form will be refused).
    if (production && !req.secure) return "";
    // Reuses a valid token the browser already has (other tabs keep working).
    parseCookies(req, res, () => {});
    const token = double.generateCsrfToken(req, res);
    issued.set(res, token);
    return token;
  };

  const sessionToken = (req: Request): string | undefined => {
    const session = sessionOf(req);
    if (!session) return undefined;
    // A Secure cookie cannot reach a plain-HTTP client: storing a token for it would only
    // leave a session row that no request can ever name.
    if (session.cookie.secure === true && !req.secure) return undefined;
    return sync.generateToken(req);
  };

  return {
    protection,
    formToken: (req, res) => (req.user ? (sessionToken(req) ?? "") : anonymousFormToken(req, res)),
    anonymousFormToken,
    sessionToken,
  };
}
