import type pg from "pg";
import type { SignInMethodSource, SignInMethods } from "../../core/sign-in-methods.js";
import { msg } from "../../i18n/index.js";

/** One provider identity linked to an account, as the account page lists it. */
export interface Identity {
  id: string;
  /** The key of the provider it came through (github, oidc, ...). */
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  displayName: string | null;
  createdAt: Date;
}

interface IdentityRow {
  id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  display_name: string | null;
  created_at: Date;
}

const toIdentity = (row: IdentityRow): Identity => ({
  id: row.id,
  provider: row.provider,
  issuer: row.issuer,
  subject: row.subject,
  email: row.email,
  displayName: row.display_name,
  createdAt: row.created_at,
});

/** What a sign-in says of the identity, kept with the link (shown on the account page). */
export interface LinkedIdentity {
  provider: string;
  issuer: string;
  subject: string;
  email: string | undefined;
  displayName?: string | undefined;
}

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

/**
 * Links the identity to the user, or refreshes what it says (the address, the name: Apple sends
 * the name once, so a name is never replaced by none); "taken" if it signs in to another account.
 */
export async function linkIdentity(
  pool: pg.Pool,
  userId: string,
  identity: LinkedIdentity,
): Promise<"linked" | "taken"> {
  try {
    const { rowCount } = await pool.query(
      `insert into user_identities (user_id, provider, issuer, subject, email, display_name)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (issuer, subject) do update
         set email = excluded.email,
             display_name = coalesce(excluded.display_name, user_identities.display_name)
         where user_identities.user_id = excluded.user_id`,
      [
        userId,
        identity.provider,
        identity.issuer,
        identity.subject,
        identity.email ?? null,
        identity.displayName ?? null,
      ],
    );
    return (rowCount ?? 0) > 0 ? "linked" : "taken";
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return "taken";
    throw error;
  }
}

export async function listIdentities(pool: pg.Pool, userId: string): Promise<Identity[]> {
  const { rows } = await pool.query<IdentityRow>(
    `select id::text, provider, issuer, subject, email, display_name, created_at
       from user_identities where user_id = $1 order by id`,
    [userId],
  );
  return rows.map(toIdentity);
}

/**
 * Unlinks one identity of the user, unless it is their last way to sign in (no password, no
 * passkey and no other identity): decided with the user's row locked (sign-in-methods.ts). Says
 * which provider the identity came through, when the user has it.
 */
export async function unlinkIdentity(
  methods: SignInMethods,
  userId: string,
  identityId: string,
): Promise<{ result: "unlinked" | "last" | "none"; provider?: string }> {
  if (!/^\d{1,18}$/.test(identityId)) return { result: "none" };
  let provider: string | undefined;
  const result = await methods.removeOne(userId, {
    owned: async (client) => {
      const { rows } = await client.query<{ provider: string }>(
        "select provider from user_identities where id = $2 and user_id = $1",
        [userId, identityId],
      );
      provider = rows[0]?.provider;
      return provider !== undefined;
    },
    remove: async (client) => {
      await client.query("delete from user_identities where id = $2 and user_id = $1", [
        userId,
        identityId,
      ]);
    },
  });
  return { result: result === "removed" ? "unlinked" : result, ...(provider ? { provider } : {}) };
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
    return n === 0 ? undefined : msg("providers.removedCount", { count: n });
  },
};
