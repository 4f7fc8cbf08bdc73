import type { PasswordLimiter } from "../../security/password-limits.js";
import type { TwoFactorStore } from "./store.js";
import { totpStep } from "./totp.js";

/** What the form sent: a recovery code in its own field, else the `code` field (which takes either). */
export function typedCode(req: { body?: unknown }): {
  field: "code" | "recovery_code";
  typed: unknown;
} {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const recovery = body.recovery_code;
  if (typeof recovery === "string" && recovery.trim() !== "") {
    return { field: "recovery_code", typed: recovery };
  }
  return { field: "code", typed: body.code };
}

export type SecondFactorCheck =
  | { ok: true; method: "totp" | "recovery code" }
  | { ok: false }
  | { ok: false; retryAfterSeconds: number };

/**
 * Checks a second-factor code for a user with two-factor on: a TOTP code (within one step of
 * now, and later than the last step accepted: a code works once) or an unused recovery code
 * (used up). Counted per account before the check and given back when right, so any number of
 * guesses at once get at most the limit checked. For the login step and for /account/confirm.
 * `deviceLane`: the browser holds the account's device cookie (app/security/device-cookie.ts),
 * so its codes are counted in its own lane, as its passwords are: someone who has the password
 * cannot lock the owner's own browser out of the code step.
 */
export async function checkSecondFactor(
  deps: { store: TwoFactorStore; limiter: PasswordLimiter },
  userId: string,
  typed: unknown,
  nowMs: number,
  deviceLane?: string,
): Promise<SecondFactorCheck> {
  const code = typeof typed === "string" ? typed.replace(/\s/g, "").slice(0, 64) : "";
  if (code === "") return { ok: false };
  const attempt =
    deviceLane === undefined
      ? await deps.limiter.secondFactorByUser.take(userId)
      : await deps.limiter.secondFactorByDevice.take(deviceLane);
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
