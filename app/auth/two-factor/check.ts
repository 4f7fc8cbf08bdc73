import type { PasswordLimiter } from "../../security/password-limits.js";
import type { TwoFactorStore } from "./store.js";
import { totpStep } from "./totp.js";

export type SecondFactorCheck =
  | { ok: true; method: "totp" | "recovery code" }
  | { ok: false }
  | { ok: false; retryAfterSeconds: number };

/**
 * Checks a second-factor code for a user with two-factor on: a TOTP code (within one step of
 * now, and later than the last step accepted: a code works once) or an unused recovery code
 * (used up). Counted per account before the check and given back when right, so any number of
 * guesses at once get at most the limit checked. For the login step and for /account/confirm.
 */
export async function checkSecondFactor(
  deps: { store: TwoFactorStore; limiter: PasswordLimiter },
  userId: string,
  typed: unknown,
  nowMs: number,
): Promise<SecondFactorCheck> {
  const code = typeof typed === "string" ? typed.replace(/\s/g, "").slice(0, 64) : "";
  if (code === "") return { ok: false };
  const attempt = await deps.limiter.secondFactorByUser.take(userId);
  if (!attempt.allowed) return { ok: false, retryAfterSeconds: attempt.retryAfterSeconds };

  const secret = await deps.store.secret(userId);
  if (secret === undefined) return { ok: false };
  const step = totpStep(secret, code, nowMs);
  let method: "totp" | "recovery code" | undefined;
  if (step !== undefined) {
    if (await deps.store.acceptStep(userId, step)) method = "totp";
  } else if (await deps.store.consumeRecoveryCode(userId, code)) {
    method = "recovery code";
  }
  if (method === undefined) return { ok: false };
  await attempt.giveBack();
  return { ok: true, method };
}
