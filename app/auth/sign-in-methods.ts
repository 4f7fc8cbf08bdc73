import type pg from "pg";

/** The ways an account can sign in: a password, provider identities, passkeys. */
export interface SignInMethods {
  password: boolean;
  identities: number;
  passkeys: number;
}

/** How many ways to sign in the account has. */
export const countMethods = (methods: SignInMethods): number =>
  (methods.password ? 1 : 0) + methods.identities + methods.passkeys;

/**
 * Runs `change` in a transaction with the user's row locked and what they can sign in with at
 * that moment, so that two removals at once (an identity and a passkey, two tabs) are decided
 * one after the other and cannot together take away the last way in. Undefined when the account
 * is gone.
 */
export async function changeSignInMethods<T>(
  pool: pg.Pool,
  userId: string,
  change: (client: pg.PoolClient, methods: SignInMethods) => Promise<T>,
): Promise<T | undefined> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const { rows } = await client.query<SignInMethods>(
      `select u.password_hash is not null as password,
              (select count(*)::int from user_identities where user_id = u.id) as identities,
              (select count(*)::int from passkeys where user_id = u.id) as passkeys
         from users u where u.id = $1 for update`,
      [userId],
    );
    const methods = rows[0];
    const result = methods ? await change(client, methods) : undefined;
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

// The tables that hold a way to sign in, by a name the callers use: never from input.
const METHOD_TABLES = { passkey: "passkeys", identity: "user_identities" } as const;

/**
 * Removes one of the user's passkeys or provider identities, unless it is their last way to
 * sign in; "none" when the user has no such row.
 */
export async function removeSignInMethod(
  pool: pg.Pool,
  userId: string,
  kind: keyof typeof METHOD_TABLES,
  id: string,
): Promise<"removed" | "last" | "none"> {
  if (!/^\d{1,18}$/.test(id)) return "none";
  const table = METHOD_TABLES[kind];
  const result = await changeSignInMethods(pool, userId, async (client, methods) => {
    const { rowCount } = await client.query(
      `select 1 from ${table} where id = $2 and user_id = $1`,
      [userId, id],
    );
    if (!rowCount) return "none" as const;
    if (countMethods(methods) <= 1) return "last" as const;
    await client.query(`delete from ${table} where id = $2 and user_id = $1`, [userId, id]);
    return "removed" as const;
  });
  return result ?? "none";
}
