import type { Request, Response } from "express";
import { readSignedCookie, signValue } from "../../security/signed-value.js";
import type { FlowChecks } from "./client.js";
import { FLOW_MS } from "./settings.js";

/**
 * What one sign-in through a provider must remember between "Continue with …" and the
 * callback: which provider, the PKCE verifier, state and nonce, where to go after, and (for
 * "Link") who asked. Kept in a signed, HttpOnly, SameSite=Lax, ten-minute cookie (`oidc_flow`)
 * in the browser that started it, not in a session: starting a sign-in writes no session row,
 * and a callback in another browser (a link an attacker sends) finds no flow to finish.
 */
export interface Flow extends FlowChecks {
  /** The provider's key: its callback finishes only its own flows. */
  provider: string;
  /** Where to go after signing in (a path on this site). */
  next?: string;
  /** Set when a logged-in user links the provider to their account. */
  linkUserId?: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** A signed, HttpOnly, SameSite=Lax cookie holding one JSON value for `lifetimeMs`. */
function signedJsonCookie<T extends object>(options: {
  name: string;
  purpose: string;
  lifetimeMs: number;
  secure: boolean;
  secrets: string[];
}) {
  const { name, purpose, lifetimeMs, secrets } = options;
  const attributes = {
    httpOnly: true,
    secure: options.secure,
    sameSite: "lax" as const,
    path: "/",
  };
  return {
    set(res: Response, value: T) {
      const body = Buffer.from(
        JSON.stringify({ ...value, expiresAt: Date.now() + lifetimeMs }),
      ).toString("base64url");
      res.cookie(name, signValue(purpose, body, secrets), { ...attributes, maxAge: lifetimeMs });
    },
    /** The value this browser holds, if its cookie is there, genuine and not expired. */
    read(req: Request): (T & { expiresAt: number }) | undefined {
      const body = readSignedCookie(req, name, purpose, secrets);
      if (body === undefined) return undefined;
      try {
        const value = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as T & {
          expiresAt: number;
        };
        return typeof value.expiresAt === "number" && value.expiresAt > Date.now()
          ? value
          : undefined;
      } catch {
        return undefined;
      }
    },
    clear(res: Response) {
      res.clearCookie(name, attributes);
    },
  };
}

export type FlowCookies = ReturnType<typeof flowCookies>;

export function flowCookies(options: { name: string; secure: boolean; secrets: string[] }) {
  return signedJsonCookie<Omit<Flow, "expiresAt">>({
    ...options,
    purpose: "oidc-flow",
    lifetimeMs: FLOW_MS,
  });
}

/**
 * A provider's answer posted to the callback (`response_mode=form_post`: Apple's), carried to the
 * GET callback. That POST comes from the provider's page, another site, so the browser sends no
 * SameSite=Lax cookie with it (the flow's, the session's) and it carries no CSRF token: it is
 * taken before the session (no session is read or written), kept for a minute in this signed
 * cookie, and the browser is sent on to GET the callback, a top-level navigation that carries the
 * Lax cookies. The flow cookie stays Lax for every provider; the answer is checked against it there.
 */
export type AnswerCookies = ReturnType<typeof answerCookies>;

export const ANSWER_MS = 60_000;

/** The answer's fields that are kept (a provider may post more); each at most this long. */
export const ANSWER_FIELDS = ["code", "state", "iss", "error", "error_description", "user"];
export const ANSWER_FIELD_MAX = 1_000;

export function answerCookies(options: { name: string; secure: boolean; secrets: string[] }) {
  return signedJsonCookie<{ provider: string; answer: string }>({
    ...options,
    purpose: "oidc-answer",
    lifetimeMs: ANSWER_MS,
  });
}
