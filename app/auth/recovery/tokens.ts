import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";

/**
 * One-time links sent by mail, one way for every purpose. A token is 256 random bits
 * (crypto.randomBytes), sent once and kept only as its SHA-256, in a row that names its user and
 * purpose (and, for a change of address, the new address). A token is used up by deleting its
 * row (one `DELETE ... RETURNING`): of two requests at once, exactly one gets the row.
 * Issuing one deletes the user's older tokens of that purpose; expired tokens are deleted by the
 * maintenance runner (app/maintenance/tasks.ts), in batches, off the request pool.
 */
export type TokenPurpose = "reset" | "verify" | "change_email" | "sign_in";

const TOKEN_BYTES = 32;
// base64url of 32 bytes: 43 characters. Anything else is not one of ours (no database trip).
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const digest = (token: string) => createHash("sha256").update(token).digest("hex");

export interface TokenOwner {
  userId: string;
  /** change_email: the new address. */
  email: string | null;
}

/** A new token (256 random bits, base64url), not stored yet: `issueToken` or `saveCodedToken` keep it. */
export const newToken = (): string => randomBytes(TOKEN_BYTES).toString("base64url");

/** The SHA-256 the row keeps (a signed cookie may name a token by it). */
export const tokenDigest = (token: string): string => digest(token);

export async function issueToken(
  pool: pg.Pool,
  userId: string,
  purpose: TokenPurpose,
  lifetimeMs: number,
  email: string | null = null,
): Promise<string> {
  const token = newToken();
  await pool.query(
    `with pruned as (
       delete from user_tokens
        where user_id = $2 and purpose = $3
     )
     insert into user_tokens (token_hash, user_id, purpose, email, expires_at)
     values ($1, $2, $3, $4, now() + make_interval(secs => $5::double precision / 1000))`,
    [digest(token), userId, purpose, email, lifetimeMs],
  );
  return token;
}

/** Uses the token up: its owner, once; undefined when it is unknown, expired, used or for another purpose. */
export async function consumeToken(
  pool: pg.Pool,
  token: string,
  purpose: TokenPurpose,
  userId?: string,
): Promise<TokenOwner | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const { rows } = await pool.query<{ user_id: string; email: string | null }>(
    `delete from user_tokens
      where token_hash = $1 and purpose = $2 and expires_at > now()
        and ($3::bigint is null or user_id = $3::bigint)
      returning user_id::text, email::text`,
    [digest(token), purpose, userId ?? null],
  );
  const row = rows[0];
  return row && { userId: row.user_id, email: row.email };
}

/** Whether the token would be accepted now, without using it up (the reset form's GET). */
export async function tokenIsValid(
  pool: pg.Pool,
  token: string,
  purpose: TokenPurpose,
): Promise<boolean> {
  if (!TOKEN_SHAPE.test(token)) return false;
  const { rows } = await pool.query(
    "select 1 from user_tokens where token_hash = $1 and purpose = $2 and expires_at > now()",
    [digest(token), purpose],
  );
  return rows.length > 0;
}

/** Every token of the user (a password change, a new address): older links stop working. */
export async function deleteUserTokens(pool: pg.Pool, userId: string): Promise<void> {
  await pool.query("delete from user_tokens where user_id = $1", [userId]);
}

/**
 * A link with a short code beside it (signing in by email): one row, so using either uses up
 * both. Made for an address (`userId` null: no account yet); the address's older row of the
 * purpose goes, and so do the user's. Only the SHA-256 of the token and of the code are kept.
 * `now` is the app's clock (tests move it), and `consumeCodedToken` compares with it.
 */
export async function saveCodedToken(
  pool: pg.Pool,
  token: string,
  owner: { userId: string | null; email: string },
  purpose: TokenPurpose,
  code: string,
  times: { now: number; lifetimeMs: number },
): Promise<void> {
  await pool.query(
    `with pruned as (
       delete from user_tokens
        where purpose = $3 and (email = $4::citext or user_id = $2::bigint)
     )
     insert into user_tokens (token_hash, user_id, purpose, email, code_hash, expires_at)
     values ($1, $2, $3, $4, $5, to_timestamp($6::double precision / 1000))`,
    [digest(token), owner.userId, purpose, owner.email, digest(code), times.now + times.lifetimeMs],
  );
}

/** The owner of a coded token: the account (null: none yet) and the address it was sent to. */
export interface CodedTokenOwner {
  userId: string | null;
  email: string;
}

/**
 * Uses a coded token up, by its link (`{ token }`) or by the address and the code typed
 * (`{ email, code }`): one `DELETE ... RETURNING`, so of any number of requests at once, one gets
 * the row. Undefined when unknown, expired (at `now`, the app's clock), used or replaced.
 */
export async function consumeCodedToken(
  pool: pg.Pool,
  by: { token: string } | { email: string; code: string },
  purpose: TokenPurpose,
  now: number,
): Promise<CodedTokenOwner | undefined> {
  let match: string;
  let values: string[];
  if ("token" in by) {
    if (!TOKEN_SHAPE.test(by.token)) return undefined;
    match = "token_hash = $1";
    values = [digest(by.token)];
  } else {
    match = "email = $1::citext and code_hash = $2";
    values = [by.email, digest(by.code)];
  }
  const { rows } = await pool.query<{ user_id: string | null; email: string }>(
    `delete from user_tokens
      where ${match} and purpose = $${values.length + 1}
        and expires_at > to_timestamp($${values.length + 2}::double precision / 1000)
      returning user_id::text, email::text`,
    [...values, purpose, now],
  );
  const row = rows[0];
  return row && { userId: row.user_id, email: row.email };
}

/** Whether a coded token's link would be accepted at `now`, without using it up (a GET). */
export async function codedTokenIsValid(
  pool: pg.Pool,
  token: string,
  purpose: TokenPurpose,
  now: number,
): Promise<boolean> {
  if (!TOKEN_SHAPE.test(token)) return false;
  const { rows } = await pool.query(
    `select 1 from user_tokens
      where token_hash = $1 and purpose = $2
        and expires_at > to_timestamp($3::double precision / 1000)`,
    [digest(token), purpose, now],
  );
  return rows.length > 0;
}
