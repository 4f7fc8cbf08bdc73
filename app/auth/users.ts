import { createHash } from "node:crypto";
import type pg from "pg";

export interface User {
  id: string;
  email: string;
  createdAt: Date;
  /** Sessions logged in under an older generation are no longer valid (see session-generation.ts). */
  sessionGeneration: number;
  /** When the user proved they read mail at their address; null: not yet. */
  emailVerifiedAt: Date | null;
  /** The language they chose (app/i18n); null: the cookie's or the browser's. */
  locale: string | null;
}

interface UserRow {
  id: string;
  email: string;
  /** null for an account made by an OpenID Connect sign-in, which has no password. */
  password_hash: string | null;
  created_at: Date;
  session_generation: number;
  email_verified_at: Date | null;
  locale: string | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  createdAt: row.created_at,
  sessionGeneration: row.session_generation,
  emailVerifiedAt: row.email_verified_at,
  locale: row.locale ?? null,
});

const UNIQUE_VIOLATION = "23505";

/**
 * Creates the account, or returns "taken" when the email (case-insensitively) already has one.
 * `passwordHash` null: an account that signs in through its OpenID Connect identity only.
 * `emailVerified`: the address is proven already (a provider vouched for it).
 */
export async function createUser(
  pool: pg.Pool,
  email: string,
  passwordHash: string | null,
  options: { emailVerified?: boolean } = {},
): Promise<User | "taken"> {
  try {
    const { rows } = await pool.query<UserRow>(
      `insert into users (email, password_hash, email_verified_at)
       values ($1, $2, case when $3::boolean then now() end) returning *`,
      [email, passwordHash, options.emailVerified === true],
    );
    return toUser(rows[0] as UserRow);
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return "taken";
    throw error;
  }
}

export async function findUserById(pool: pg.Pool, id: string): Promise<User | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const { rows } = await pool.query<UserRow>("select * from users where id = $1", [id]);
  return rows[0] && toUser(rows[0]);
}

/** The user and their password hash, for checking a login. */
export async function findCredentials(
  pool: pg.Pool,
  email: string,
): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const { rows } = await pool.query<UserRow>("select * from users where email = $1", [email]);
  const row = rows[0];
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

/** The user's password hash; undefined when there is none (no such user, or no password). */
export async function findPasswordHash(pool: pg.Pool, id: string): Promise<string | undefined> {
  const { rows } = await pool.query<UserRow>("select password_hash from users where id = $1", [id]);
  return rows[0]?.password_hash ?? undefined;
}

export async function updatePasswordHash(
  pool: pg.Pool,
  id: string,
  passwordHash: string,
): Promise<void> {
  await pool.query("update users set password_hash = $2, updated_at = now() where id = $1", [
    id,
    passwordHash,
  ]);
}

/**
 * Who a login attempt is for, keyed as the database compares addresses (citext: `lower()` in
 * the database's collation, not JavaScript's `toLowerCase()`): the user's ID when the address
 * has an account, else a SHA-256 of the folded address, so every spelling of one address shares
 * one counter and a key is short whatever was typed.
 */
export async function loginAccount(
  pool: pg.Pool,
  email: string,
): Promise<{
  userId: string | undefined;
  /** The account and its session generation (what its device cookies are bound to). */
  user: { id: string; sessionGeneration: number } | undefined;
  key: string;
  addressKey: string;
}> {
  const { rows } = await pool.query<{
    id: string | null;
    generation: number | null;
    folded: string;
  }>(
    `select u.id::text as id, u.session_generation as generation, lower($1::text) as folded
       from (select 1) as one left join users u on u.email = $1::citext`,
    [email],
  );
  const row = rows[0] as { id: string | null; generation: number | null; folded: string };
  // The address's own key, account or not (limits per address: mails sent to it).
  const addressKey = `email:${createHash("sha256").update(row.folded).digest("hex")}`;
  if (row.id !== null) {
    const user = { id: row.id, sessionGeneration: row.generation ?? 0 };
    return { userId: row.id, user, key: `user:${row.id}`, addressKey };
  }
  return { userId: undefined, user: undefined, key: addressKey, addressKey };
}

/** Deletes the account; its two-factor secret and recovery codes go with it (ON DELETE CASCADE). */
export async function deleteUser(pool: pg.Pool, id: string): Promise<void> {
  await pool.query("delete from users where id = $1", [id]);
}
