import type { Request, Response } from "express";
import type { Message } from "../i18n/index.js";
import { PENDING_SECOND_FACTOR_MS } from "../policy.js";
import type { SessionData } from "../session/index.js";
import { type PagePart, type RenderedParts, renderParts } from "./page-parts.js";
import type { UnprovenAccessRemoval } from "./sign-in-methods.js";

/**
 * "Second factor pending": the first factor was right, the second is still to come. The
 * session holds only this (no `passport.user`), so it opens no private page; it lasts
 * PENDING_SECOND_FACTOR_MS. Whatever proves a second factor (a TOTP code, a passkey) ends it
 * with `signIn.completeSecondFactor` (core/sign-in.ts).
 */
declare module "../session/types.js" {
  interface SessionData {
    twoFactor: PendingSecondFactor;
  }
}

export interface PendingSecondFactor {
  userId: string;
  /** When the first factor was accepted (ms). */
  since: number;
  /** "Remember me" as ticked on the login form: carried to the logged-in session. */
  remember: boolean;
  /** The user's session generation then: a password change or reset since ends the attempt. */
  generation: number;
  /** Where to go once logged in. */
  next?: string;
  /** What proved the first factor (a password unless said otherwise), for the activity trail. */
  firstFactor?: string;
  /** What the first factor keeps for the logged-in session (FirstFactorProven.keep). */
  keep?: Partial<SessionData>;
}

/**
 * A second factor a feature offers (TOTP codes, passkeys). The pending step asks for
 * whichever the user has; sudo mode asks for them after the password.
 */
export interface SecondFactor extends Partial<UnprovenAccessRemoval> {
  id: string;
  /** The account has turned this factor on: every sign-in needs a second step. */
  required(userId: string): Promise<boolean>;
  /** The page of the pending step, when this factor requires one ("/login/two-factor"). */
  page?: string;
  /**
   * Checks what the confirmation form (sudo mode) sent for it, for a user who `required` it:
   * undefined when right, else what to say beside the field (a Message: a catalogue key).
   */
  confirm?(req: Request, userId: string): Promise<{ field: string; error: Message } | undefined>;
  /** Beside the pending step's form: another way to prove it (a passkey button). */
  pendingPart?: PagePart;
  /** Inside the confirmation form, while `required` (the code field). */
  confirmField?: PagePart;
  /** After the confirmation form: another way to confirm (a passkey button). */
  confirmPart?: PagePart;
}

export type SecondFactorPart = "pendingPart" | "confirmField" | "confirmPart";

export interface SecondFactors {
  /** Every second factor the features added. */
  readonly all: readonly SecondFactor[];
  /** The factors this account has turned on. */
  requiredFor(userId: string): Promise<SecondFactor[]>;
  /** This session's pending sign-in, unless there is none or it is too old. */
  pending(req: Request): PendingSecondFactor | undefined;
  /** What every factor adds to the pending step's page or the confirmation page. */
  parts(req: Request, res: Response, which: SecondFactorPart): Promise<RenderedParts>;
}

export const PENDING_MS = PENDING_SECOND_FACTOR_MS;

/** After the first factor: a fresh session (new ID, the old one destroyed) in the pending state. */
export async function beginSecondFactor(
  req: Request,
  user: Express.User,
  options: {
    since: number;
    remember: boolean;
    next: string | undefined;
    firstFactor: string;
    keep?: Partial<SessionData> | undefined;
  },
): Promise<void> {
  await req.session.regenerate();
  req.session.twoFactor = {
    userId: user.id,
    since: options.since,
    remember: options.remember,
    generation: user.sessionGeneration,
    ...(options.next === undefined ? {} : { next: options.next }),
    ...(options.firstFactor === "password" ? {} : { firstFactor: options.firstFactor }),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
  };
}

export function createSecondFactors(
  all: readonly SecondFactor[],
  clock: () => number,
): SecondFactors {
  return {
    all,
    async requiredFor(userId) {
      const required: SecondFactor[] = [];
      for (const factor of all) if (await factor.required(userId)) required.push(factor);
      return required;
    },
    pending(req) {
      const pending = (req as { session?: Request["session"] }).session?.twoFactor;
      if (!pending || typeof pending.since !== "number") return undefined;
      const age = clock() - pending.since;
      return age >= 0 && age <= PENDING_MS ? pending : undefined;
    },
    parts: (req, res, which) =>
      renderParts(
        req,
        res,
        all.flatMap((factor) => factor[which] ?? []),
      ),
  };
}
