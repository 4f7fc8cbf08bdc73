import type pg from "pg";
import type { Message } from "../i18n/index.js";

/**
 * A way to sign in a feature adds (passkeys, provider identities), besides the password.
 * Counted together, so the last way into an account is never removed.
 */
export interface SignInMethodSource extends UnprovenAccessRemoval {
  /** What it is called in logs ("passkeys"). */
  kind: string;
  /** How many the user has, read in the transaction that holds the user's row. */
  count(client: pg.PoolClient, userId: string): Promise<number>;
}

/**
 * What a feature adds to an account that the first proof of the address takes away (account
 * pre-hijacking, auth/recovery/address-proof.ts): removed in that transaction; says what went
 * (a Message: "2 passkeys"), or undefined when there was none.
 */
export interface UnprovenAccessRemoval {
  removeAll(client: pg.PoolClient, userId: string): Promise<Message | undefined>;
}

export interface SignInMethods {
  /**
   * Runs `change` in a transaction with the user's row locked and the number of ways they can
   * sign in at that moment (the password counts one), so that two removals at once (a passkey
   * and an identity, two tabs) are decided one after the other and cannot together take away
   * the last way in. Undefined when the account is gone.
   */
  change<T>(
    userId: string,
    change: (client: pg.PoolClient, ways: number) => Promise<T>,
  ): Promise<T | undefined>;
  /** The kinds of way in the features add ("passkeys", "identities"), in their order. */
  readonly kinds: readonly string[];
  /** How many of each kind of way in (besides the password) the user has: `{ passkeys: 2 }`. */
  counts(userId: string): Promise<Record<string, number>>;
  /** Removes one way in, unless it is the last; "none" when `owned` finds no such thing. */
  removeOne(
    userId: string,
    one: {
      owned(client: pg.PoolClient): Promise<boolean>;
      remove(client: pg.PoolClient): Promise<void>;
    },
  ): Promise<"removed" | "last" | "none">;
}

export function createSignInMethods(
  pool: pg.Pool,
  sources: readonly SignInMethodSource[],
): SignInMethods {
  const methods: SignInMethods = {
    // Read when asked: the features add their sources after the kit is made.
    get kinds() {
      return sources.map((source) => source.kind);
    },
    async change(userId, change) {
      const client = await pool.connect();
      try {
        await client.query("begin");
        const { rows } = await client.query<{ password: boolean }>(
          "select password_hash is not null as password from users where id = $1 for update",
          [userId],
        );
        const user = rows[0];
        let result: Awaited<ReturnType<typeof change>> | undefined;
        if (user) {
          let ways = user.password ? 1 : 0;
          for (const source of sources) ways += await source.count(client, userId);
          result = await change(client, ways);
        }
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async counts(userId) {
      const counts: Record<string, number> = {};
      if (sources.length === 0) return counts;
      const client = await pool.connect();
      try {
        for (const source of sources) counts[source.kind] = await source.count(client, userId);
      } finally {
        client.release();
      }
      return counts;
    },
    async removeOne(userId, one) {
      const result = await methods.change(userId, async (client, ways) => {
        if (!(await one.owned(client))) return "none" as const;
        if (ways <= 1) return "last" as const;
        await one.remove(client);
        return "removed" as const;
      });
      return result ?? "none";
    },
  };
  return methods;
}
