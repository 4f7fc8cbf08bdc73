import type pg from "pg";
import type { SignInMethodSource, SignInMethods } from "../../core/sign-in-methods.js";

/** One provider identity linked to an account, as the account page lists it. */
export interface Identity {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  createdAt: Date;
}

interface IdentityRow {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  created_at: Date;
}

const toIdentity = (row: IdentityRow): Identity => ({
  id: row.id,
  issuer: row.issuer,
  subject: row.subject,
  email: row.email,
  createdAt: row.created_at,
});

const UNIQUE_VIOLATION = "23505";

/** The account an identity signs in to, if any. */
export async function findUserIdByIdentity(
  pool: pg.Pool,
  issuer: string,
  subject: string,
): Promise<string | undefined> {
  const { rows } = await pool.query<{ user_id: string }>(
    "select user_id::text from user_identities where issuer = $1 and subject = $2",
    [issuer, subject],
  );
  return rows[0]?.user_id;
}

/** Links the identity to the user; "taken" if it already signs in to another account. */
export async function linkIdentity(
  pool: pg.Pool,
  userId: string,
  identity: { issuer: string; subject: string; email: string | undefined },
): Promise<"linked" | "taken"> {
  try {
    const { rowCount } = await pool.query(
      `insert into user_identities (user_id, issuer, subject, email) values ($1, $2, $3, $4)
       on conflict (issuer, subject) do update set email = excluded.email
         where user_identities.user_id = excluded.user_id`,
      [userId, identity.issuer, identity.subject, identity.email ?? null],
    );
    return (rowCount ?? 0) > 0 ? "linked" : "taken";
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return "taken";
    throw error;
  }
}

export async function listIdentities(pool: pg.Pool, userId: string): Promise<Identity[]> {
  const { rows } = await pool.query<IdentityRow>(
    "select id::text, issuer, subject, email, created_at from user_identities where user_id = $1 order by id",
    [userId],
  );
  return rows.map(toIdentity);
}

/**
 * Unlinks one identity of the user, unless it is their last way to sign in (no password, no
 * passkey and no other identity): decided with the user's row locked (sign-in-methods.ts).
 */
export async function unlinkIdentity(
  methods: SignInMethods,
  userId: string,
  identityId: string,
): Promise<"unlinked" | "last" | "none"> {
  if (!/^\d{1,18}$/.test(identityId)) return "none";
  const result = await methods.removeOne(userId, {
    owned: async (client) =>
      Boolean(
        (
          await client.query("select 1 from user_identities where id = $2 and user_id = $1", [
            userId,
            identityId,
          ])
        ).rowCount,
      ),
    remove: async (client) => {
      await client.query("delete from user_identities where id = $2 and user_id = $1", [
        userId,
        identityId,
      ]);
    },
  });
  return result === "removed" ? "unlinked" : result;
}

/** Provider identities as a way to sign in: counted; gone at the first proof of the address. */
export const identitySignInMethod: SignInMethodSource = {
  kind: "identities",
  async count(client, userId) {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from user_identities where user_id = $1",
      [userId],
    );
    return rows[0]?.n ?? 0;
  },
  async removeAll(client, userId) {
    const { rowCount } = await client.query("delete from user_identities where user_id = $1", [
      userId,
    ]);
    const n = rowCount ?? 0;
    return n === 0
      ? undefined
      : `${n} ${n === 1 ? "linked sign-in provider" : "linked sign-in providers"}`;
  },
};
