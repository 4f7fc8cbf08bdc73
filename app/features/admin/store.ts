import type pg from "pg";
import { endAllSessions } from "../../auth/session-generation.js";
import type { Role } from "./roles.js";

/** A user as the admin area sees them. */
export interface AdminUser {
  id: string;
  email: string;
  role: string;
  createdAt: Date;
  emailVerifiedAt: Date | null;
  lockedAt: Date | null;
  lastSignInAt: Date | null;
  /** The language the user chose for pages and mails (null: none chosen). */
  locale: string | null;
}

const COLUMNS = `id::text as id, email::text as email, role, created_at as "createdAt",
  email_verified_at as "emailVerifiedAt", locked_at as "lockedAt",
  last_sign_in_at as "lastSignInAt", locale`;

const isId = (id: string) => /^\d{1,18}$/.test(id);

export async function findById(pool: pg.Pool, id: string): Promise<AdminUser | undefined> {
  if (!isId(id)) return undefined;
  const { rows } = await pool.query<AdminUser>(`select ${COLUMNS} from users where id = $1`, [id]);
  return rows[0];
}

/** The user with this address (case-insensitively, as the database compares them). */
export async function findByEmail(pool: pg.Pool, email: string): Promise<AdminUser | undefined> {
  const { rows } = await pool.query<AdminUser>(
    `select ${COLUMNS} from users where email = $1::citext`,
    [email],
  );
  return rows[0];
}

/** The user's role (undefined: no such user): what `can` is asked with, read per request. */
export async function roleOf(pool: pg.Pool, id: string): Promise<string | undefined> {
  if (!isId(id)) return undefined;
  const { rows } = await pool.query<{ role: string }>("select role from users where id = $1", [id]);
  return rows[0]?.role;
}

/** Sets the role; false when it already was that. */
export async function setRole(pool: pg.Pool, id: string, role: Role): Promise<boolean> {
  const { rowCount } = await pool.query(
    "update users set role = $2, updated_at = now() where id = $1 and role <> $2",
    [id, role],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Locks the account: the mark first (every sign-in is refused from then on), then every session
 * ends (the generation is bumped and the rows deleted: a request in flight cannot write its
 * session back, app/auth/session-generation.ts). False when it was locked already (its sessions
 * are ended again all the same).
 */
export async function lock(pool: pg.Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    "update users set locked_at = now(), updated_at = now() where id = $1 and locked_at is null",
    [id],
  );
  await endAllSessions(pool, id);
  return (rowCount ?? 0) > 0;
}

/** Unlocks the account; false when it was not locked. */
export async function unlock(pool: pg.Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    "update users set locked_at = null, updated_at = now() where id = $1 and locked_at is not null",
    [id],
  );
  return (rowCount ?? 0) > 0;
}

export async function isLocked(pool: pg.Pool, id: string): Promise<boolean> {
  const { rows } = await pool.query<{ locked: boolean }>(
    "select locked_at is not null as locked from users where id = $1",
    [id],
  );
  return rows[0]?.locked ?? false;
}

export async function recordSignIn(pool: pg.Pool, id: string): Promise<void> {
  await pool.query("update users set last_sign_in_at = now() where id = $1", [id]);
}

/** How many users a page of /admin lists. */
export const USERS_PER_PAGE = 25;

/** `%`, `_` and `\` typed in a search are letters, not wildcards. */
const likePrefix = (prefix: string) => `${prefix.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;

/**
 * A page of users, newest first, whose address starts with `prefix` (case-insensitive; "" for
 * all), after the user `after` (keyset pagination: the last ID of the previous page, so a page
 * costs the same however deep it is). IDX_users_email_prefix (migrations/014) answers a prefix.
 */
export async function listUsers(
  pool: pg.Pool,
  options: { prefix: string; after?: string | undefined; limit?: number },
): Promise<{ users: AdminUser[]; next: string | undefined }> {
  const limit = options.limit ?? USERS_PER_PAGE;
  const after = options.after && isId(options.after) ? options.after : null;
  const { rows } = await pool.query<AdminUser>(
    `select ${COLUMNS} from users
      where ($1 = '' or lower(email::text) like $2)
        and ($3::bigint is null or id < $3::bigint)
      order by users.id desc limit $4`,
    [options.prefix, likePrefix(options.prefix), after, limit + 1],
  );
  const users = rows.slice(0, limit);
  return { users, next: rows.length > limit ? users.at(-1)?.id : undefined };
}

/** One line of the admin audit trail. */
export interface AuditEntry {
  actorEmail: string;
  targetId: string | null;
  targetEmail: string | null;
  action: string;
  ip: string | null;
  createdAt: Date;
}

/** Records what an administrator (or the command line: `actor` null) did to whom. */
export async function audit(
  pool: pg.Pool,
  entry: {
    actor: { id: string; email: string } | null;
    target: { id: string; email: string } | null;
    action: string;
    ip?: string | undefined;
  },
): Promise<void> {
  await pool.query(
    `insert into admin_audit (actor_id, actor_email, target_id, target_email, action, ip)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      entry.actor?.id ?? null,
      entry.actor?.email ?? "command line",
      entry.target?.id ?? null,
      entry.target?.email ?? null,
      entry.action,
      entry.ip ?? null,
    ],
  );
}

/** How many lines /admin/audit shows. */
export const AUDIT_PER_PAGE = 100;

export async function listAudit(pool: pg.Pool, limit = AUDIT_PER_PAGE): Promise<AuditEntry[]> {
  const { rows } = await pool.query<AuditEntry>(
    `select actor_email as "actorEmail", target_id::text as "targetId",
            target_email as "targetEmail", action, ip, created_at as "createdAt"
       from admin_audit order by created_at desc, id desc limit $1`,
    [limit],
  );
  return rows;
}
