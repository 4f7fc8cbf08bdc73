import { createHash } from "node:crypto";
import { Secret } from "otpauth";
import { RECOVERY_CODE_COUNT } from "../../policy.js";

/**
 * Recovery codes: ten random codes of 80 bits each, shown once; only their SHA-256 is stored
 * (store.ts). A fast hash is enough for values this random (no dictionary to try, 2^80 to
 * search per code), unlike passwords, which get argon2.
 */
export { RECOVERY_CODE_COUNT };

/** What a person typed, as stored: spaces and dashes dropped, upper case. */
const normalise = (typed: string) => typed.replace(/[\s-]/g, "").toUpperCase();

export const hashRecoveryCode = (typed: string) =>
  createHash("sha256").update(normalise(typed)).digest("hex");

/** Looks like one of ours (so a 6-digit TOTP code is never looked up as a recovery code). */
export const isRecoveryCodeShape = (typed: string) => /^[A-Z2-7]{16}$/.test(normalise(typed));

/** Ten new codes, "ABCD-EFGH-IJKL-MNOP" (16 base32 characters, 80 random bits each). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    (new Secret({ size: 10 }).base32.match(/.{4}/g) ?? []).join("-"),
  );
}
