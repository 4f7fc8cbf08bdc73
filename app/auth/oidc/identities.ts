import type pg from "pg";

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
 * Unlinks one identity of the user, unless it is their last way to sign in (no password and no
 * other identity). The user's row is locked first, so two unlinks at once are decided one after
 * the other and cannot both pass the check.
 */
export async function unlinkIdentity(
  pool: pg.Pool,
  userId: string,
  identityId: string,
): Promise<"unlinked" | "last" | "none"> {
  if (!/^\d{1,18}$/.test(identityId)) return "none";
  const client = await pool.connect();
  try {
    await client.query("begin");
    const { rows } = await client.query<{ has_password: boolean; identities: number }>(
      `select u.password_hash is not null as has_password,
              (select count(*)::int from user_identities where user_id = u.id) as identities,
              exists (select 1 from user_identities where id = $2 and user_id = u.id) as mine
         from users u where u.id = $1 for update`,
      [userId, identityId],
    );
    const row = rows[0] as { has_password: boolean; identities: number; mine: boolean } | undefined;
    let result: "unlinked" | "last" | "none" = "none";
    if (row?.mine) {
      if (!row.has_password && row.identities <= 1) result = "last";
      else {
        await client.query("delete from user_identities where id = $2 and user_id = $1", [
          userId,
          identityId,
        ]);
        result = "unlinked";
      }
    }
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
