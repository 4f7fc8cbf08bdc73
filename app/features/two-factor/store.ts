import type pg from "pg";
import type { SecretBox } from "../../security/secrets-at-rest.js";
import { hashRecoveryCode, isRecoveryCodeShape } from "./recovery-codes.js";

/**
 * The two-factor tables (migrations/006_two-factor.sql). The TOTP secret is sealed with the
 * data encryption key before it is written and opened only to check a code; every change that
 * must not race (enable, accept a step, use a recovery code) is one statement.
 */
const context = (userId: string) => `totp:${userId}`;

export function twoFactorStore(pool: pg.Pool, box: SecretBox) {
  return {
    /** Sealed for keeping in the session while setup waits for its first code. */
    sealSetupSecret: (userId: string, base32: string) => box.seal(base32, context(userId)),
    openSetupSecret: (userId: string, sealed: string) => box.open(sealed, context(userId)),

    async isEnabled(userId: string): Promise<boolean> {
      const { rowCount } = await pool.query("select 1 from two_factor where user_id = $1", [
        userId,
      ]);
      return (rowCount ?? 0) > 0;
    },

    /**
     * Turns two-factor on with a secret already sealed for this user, the step its first code
     * used, and the recovery codes' hashes; false if it was already on (nothing changes).
     */
    async enable(
      userId: string,
      sealedSecret: string,
      step: number,
      recoveryCodes: string[],
    ): Promise<boolean> {
      const { rowCount } = await pool.query(
        `with enabled as (
           insert into two_factor (user_id, secret, last_step) values ($1, $2, $3)
           on conflict (user_id) do nothing returning user_id
         )
         insert into recovery_codes (user_id, code_hash)
         select enabled.user_id, code_hash from enabled, unnest($4::text[]) as code_hash`,
        [userId, sealedSecret, step, recoveryCodes.map(hashRecoveryCode)],
      );
      return (rowCount ?? 0) > 0;
    },

    /** The user's TOTP secret (base32), or undefined when two-factor is off. */
    async secret(userId: string): Promise<string | undefined> {
      const { rows } = await pool.query<{ secret: string }>(
        "select secret from two_factor where user_id = $1",
        [userId],
      );
      const sealed = rows[0]?.secret;
      return sealed === undefined ? undefined : box.open(sealed, context(userId));
    },

    /** Records `step` as used: true for exactly one request, and only if it is a later step. */
    async acceptStep(userId: string, step: number): Promise<boolean> {
      const { rowCount } = await pool.query(
        "update two_factor set last_step = $2 where user_id = $1 and last_step < $2",
        [userId, step],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Uses up one recovery code: true for exactly one of any number of concurrent uses. */
    async consumeRecoveryCode(userId: string, typed: string): Promise<boolean> {
      if (!isRecoveryCodeShape(typed)) return false;
      const { rowCount } = await pool.query(
        "delete from recovery_codes where user_id = $1 and code_hash = $2",
        [userId, hashRecoveryCode(typed)],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Replaces every recovery code with the new ones (two-factor on only); false if off. */
    async replaceRecoveryCodes(userId: string, codes: string[]): Promise<boolean> {
      const { rowCount } = await pool.query(
        `with owner as (select user_id from two_factor where user_id = $1),
              gone as (delete from recovery_codes where user_id in (select user_id from owner))
         insert into recovery_codes (user_id, code_hash)
         select owner.user_id, code_hash from owner, unnest($2::text[]) as code_hash`,
        [userId, codes.map(hashRecoveryCode)],
      );
      return (rowCount ?? 0) > 0;
    },

    async remainingRecoveryCodes(userId: string): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(
        "select count(*)::int as n from recovery_codes where user_id = $1",
        [userId],
      );
      return rows[0]?.n ?? 0;
    },

    /** Turns two-factor off: the secret and every recovery code are deleted. */
    async disable(userId: string): Promise<void> {
      await pool.query(
        `with codes as (delete from recovery_codes where user_id = $1)
         delete from two_factor where user_id = $1`,
        [userId],
      );
    },
  };
}

export type TwoFactorStore = ReturnType<typeof twoFactorStore>;
