import type { Request } from "express";
import { PASSKEY_CHALLENGE_MS } from "../../policy.js";

/**
 * The challenges of WebAuthn ceremonies in flight, kept in the session: each is single-use and
 * expires after CHALLENGE_MS. A few per purpose are kept, so two tabs (or the login page's
 * autofill request and its button) do not cancel each other.
 */
declare module "../../session/types.js" {
  interface SessionData {
    passkeyChallenges: StoredChallenge[];
  }
}

export type ChallengePurpose = "register" | "sign-in" | "second-factor" | "confirm";

export interface StoredChallenge {
  purpose: ChallengePurpose;
  /** base64url, as the browser echoes it in clientDataJSON. */
  challenge: string;
  /** When it stops being accepted (ms). */
  expires: number;
  /** The user it was issued to (registration, confirmation). */
  userId?: string;
}

export const CHALLENGE_MS = PASSKEY_CHALLENGE_MS;
const KEPT_PER_PURPOSE = 3;

const live = (req: Request, nowMs: number): StoredChallenge[] =>
  (Array.isArray(req.session.passkeyChallenges) ? req.session.passkeyChallenges : []).filter(
    (stored) => typeof stored?.expires === "number" && stored.expires >= nowMs,
  );

/** Remembers a challenge just sent to the browser. */
export function keepChallenge(
  req: Request,
  purpose: ChallengePurpose,
  challenge: string,
  nowMs: number,
  userId?: string,
): void {
  const others = live(req, nowMs);
  const same = others.filter((stored) => stored.purpose === purpose);
  const dropped = new Set(same.slice(0, Math.max(0, same.length - (KEPT_PER_PURPOSE - 1))));
  req.session.passkeyChallenges = [
    ...others.filter((stored) => !dropped.has(stored)),
    {
      purpose,
      challenge,
      expires: nowMs + CHALLENGE_MS,
      ...(userId === undefined ? {} : { userId }),
    },
  ];
}

/**
 * Takes the challenge the browser answered out of the session: true if it was issued here for
 * this purpose (and this user), and has not expired or been used. Whatever the answer, it can
 * never be used again.
 */
export function takeChallenge(
  req: Request,
  purpose: ChallengePurpose,
  challenge: string,
  nowMs: number,
  userId?: string,
): boolean {
  const kept = live(req, nowMs);
  const found = kept.find((stored) => stored.purpose === purpose && stored.challenge === challenge);
  const rest = kept.filter((stored) => stored.challenge !== challenge);
  if (rest.length > 0) req.session.passkeyChallenges = rest;
  else delete req.session.passkeyChallenges;
  return found !== undefined && found.userId === userId;
}
