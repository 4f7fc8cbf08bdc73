import type { Request, Response } from "express";
import type pg from "pg";
import type { SignIns } from "../../activity/sign-in.js";
import { PENDING_SECOND_FACTOR_MS } from "../../policy.js";
import { startUserSession } from "../login-session.js";
import { findUserById } from "../users.js";

/**
 * "Second factor pending": the password was right, the second factor is still to come. The
 * session holds only this (no `passport.user`), so it opens no private page; it lasts
 * PENDING_MS. Whatever proves the second factor (a TOTP or recovery code, or a passkey in
 * passkeys/sign-in-routes.ts) ends it with `completeSecondFactor`.
 */
declare module "../../session/types.js" {
  interface SessionData {
    twoFactor: PendingSecondFactor;
    /** During setup: the new TOTP secret, sealed, until its first code confirms it. */
    twoFactorSetup: string;
  }
}

export interface PendingSecondFactor {
  userId: string;
  /** When the password was accepted (ms). */
  since: number;
  /** "Remember me" as ticked on the login form: carried to the logged-in session. */
  remember: boolean;
  /** The user's session generation then: a password change or reset since ends the attempt. */
  generation: number;
  /** Where to go once logged in. */
  next?: string;
  /** What proved the first factor (a password unless said otherwise), for the activity trail. */
  firstFactor?: "password" | "oidc";
}

export const PENDING_MS = PENDING_SECOND_FACTOR_MS;

/** After the right password: a fresh session (new ID, the old one destroyed) in the pending state. */
export async function beginSecondFactor(
  req: Request,
  user: Express.User,
  options: {
    since: number;
    remember: boolean;
    next: string | undefined;
    firstFactor?: "password" | "oidc";
  },
): Promise<void> {
  await req.session.regenerate();
  req.session.twoFactor = {
    userId: user.id,
    since: options.since,
    remember: options.remember,
    generation: user.sessionGeneration,
    ...(options.next === undefined ? {} : { next: options.next }),
    ...(options.firstFactor === "oidc" ? { firstFactor: "oidc" as const } : {}),
  };
}

/** This session's pending login, unless there is none or it is older than PENDING_MS. */
export function pendingSecondFactor(req: Request, nowMs: number): PendingSecondFactor | undefined {
  const pending = (req as { session?: Request["session"] }).session?.twoFactor;
  if (!pending || typeof pending.since !== "number") return undefined;
  const age = nowMs - pending.since;
  return age >= 0 && age <= PENDING_MS ? pending : undefined;
}

export interface CompleteDeps {
  pool: pg.Pool;
  signIns: SignIns;
  rememberMs: number;
}

/**
 * The second factor was proven: logs the pending user in on a regenerated session (the pending
 * one is destroyed), as a password-only login would (remember me, device cookie, sudo mode).
 * False when the account is gone or its sessions were ended meanwhile (a password change or
 * reset): nobody is logged in, and the caller ends the pending session (the login step's
 * "start over").
 */
export async function completeSecondFactor(
  req: Request,
  res: Response,
  deps: CompleteDeps,
  pending: PendingSecondFactor,
  nowMs: number,
): Promise<boolean> {
  const user = await findUserById(deps.pool, pending.userId);
  if (!user || user.sessionGeneration !== pending.generation) return false;
  await startUserSession(req, user, pending.remember ? deps.rememberMs : null, {
    authenticatedAt: nowMs,
  });
  await deps.signIns.signedIn(
    req,
    res,
    user,
    pending.firstFactor === "oidc" ? "oidc+2fa" : "password+2fa",
  );
  return true;
}
