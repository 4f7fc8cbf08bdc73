import { parse } from "cookie";
import signature from "cookie-signature";
import type { Request, Response } from "express";

/**
 * What one sign-in through the provider must remember between "Continue with …" and the
 * callback: the PKCE verifier, state and nonce, where to go after, and (for "Link") who asked.
 * Kept in a signed, HttpOnly, ten-minute cookie in the browser that started it, not in a
 * session: starting a sign-in writes no session row, and a callback in another browser (a link
 * an attacker sends) finds no flow to finish.
 */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after signing in (a path on this site). */
  next?: string;
  /** Set when a logged-in user links the provider to their account. */
  linkUserId?: string;
  /** ms since the epoch. */
  expiresAt: number;
}

const PURPOSE = "oidc-flow";
const LIFETIME_MS = 10 * 60 * 1000;

export interface FlowCookies {
  set(res: Response, flow: Omit<OidcFlow, "expiresAt">): void;
  /** The flow this browser started, if its cookie is there, genuine and not expired. */
  read(req: Request): OidcFlow | undefined;
  clear(res: Response): void;
}

export function flowCookies(options: {
  name: string;
  secure: boolean;
  secrets: string[];
}): FlowCookies {
  const { name, secure, secrets } = options;
  const attributes = { httpOnly: true, secure, sameSite: "lax" as const, path: "/" };
  return {
    set(res, flow) {
      const body = Buffer.from(
        JSON.stringify({ ...flow, expiresAt: Date.now() + LIFETIME_MS }),
      ).toString("base64url");
      res.cookie(name, signature.sign(`${PURPOSE}.${body}`, secrets[0] as string), {
        ...attributes,
        maxAge: LIFETIME_MS,
      });
    },
    read(req) {
      const header = req.headers.cookie;
      const value = header ? parse(header)[name] : undefined;
      if (!value) return undefined;
      for (const secret of secrets) {
        const unsigned = signature.unsign(value, secret);
        if (unsigned === false) continue;
        if (!unsigned.startsWith(`${PURPOSE}.`)) return undefined;
        try {
          const flow = JSON.parse(
            Buffer.from(unsigned.slice(PURPOSE.length + 1), "base64url").toString("utf8"),
          ) as OidcFlow;
          return typeof flow.expiresAt === "number" && flow.expiresAt > Date.now()
            ? flow
            : undefined;
        } catch {
          return undefined;
        }
      }
      return undefined;
    },
    clear(res) {
      res.clearCookie(name, attributes);
    },
  };
}
