import type { Request, Response } from "express";
import { OIDC_FLOW_MS } from "../../policy.js";
import { readSignedCookie, signValue } from "../../security/signed-value.js";

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
const LIFETIME_MS = OIDC_FLOW_MS;

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
      res.cookie(name, signValue(PURPOSE, body, secrets), {
        ...attributes,
        maxAge: LIFETIME_MS,
      });
    },
    read(req) {
      const body = readSignedCookie(req, name, PURPOSE, secrets);
      if (body === undefined) return undefined;
      try {
        const flow = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as OidcFlow;
        return typeof flow.expiresAt === "number" && flow.expiresAt > Date.now() ? flow : undefined;
      } catch {
        return undefined;
      }
    },
    clear(res) {
      res.clearCookie(name, attributes);
    },
  };
}
