import type pg from "pg";

/** The account's address and whether it is verified, as the recovery flows change them. */

/** The new address, verified (the link proved it); "taken" if another account got it meanwhile. */
export async function changeEmail(
  pool: pg.Pool,
  userId: string,
  email: string,
): Promise<"changed" | "taken"> {
  try {
    await pool.query(
      `update users set email = $2, email_verified_at = now(), updated_at = now() where id = $1`,
      [userId, email],
    );
    return "changed";
  } catch (error) {
    if ((error as { code?: string }).code === "23505") return "taken";
    throw error;
  }
}

/** The account with this address (compared as the database folds it), if any. */
export async function userIdByEmail(pool: pg.Pool, email: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ id: string }>(
    "select id::text from users where email = $1::citext",
    [email],
  );
  return rows[0]?.id;
}
