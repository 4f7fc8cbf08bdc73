import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { SignInMethodSource, SignInMethods } from "../../core/sign-in-methods.js";
import { msg } from "../../i18n/index.js";
import { MAX_PASSKEYS } from "../../policy.js";

/** A passkey as the security page lists it. */
export interface Passkey {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** "multiDevice": a synced passkey (backup eligible), "singleDevice": bound to one device. */
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
}

/** What a sign-in needs to check an assertion against. */
export interface StoredCredential extends Passkey {
  userId: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
}

/** A passkey just verified at registration, to be stored. */
export interface NewPasskey {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
  name: string;
}

export { MAX_PASSKEYS };

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
  device_type: "singleDevice" | "multiDevice";
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const toPasskey = (row: PasskeyRow): Passkey => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  deviceType: row.device_type,
  backedUp: row.backed_up,
});

const toCredential = (row: PasskeyRow): StoredCredential => ({
  ...toPasskey(row),
  userId: row.user_id,
  credentialId: row.credential_id,
  publicKey: new Uint8Array(row.public_key),
  counter: Number(row.counter),
  transports: row.transports,
});

const COLUMNS = `id::text, user_id::text, credential_id, public_key, counter::text, transports,
  device_type, backed_up, name, created_at, last_used_at`;

const isId = (id: string) => /^\d{1,18}$/.test(id);
const UNIQUE_VIOLATION = "23505";

async function rowsOf(pool: pg.Pool, userId: string): Promise<PasskeyRow[]> {
  const { rows } = await pool.query<PasskeyRow>(
    `select ${COLUMNS} from passkeys where user_id = $1 order by id`,
    [userId],
  );
  return rows;
}

/** The user's credentials (to exclude at registration, to allow as a second factor). */
export const listCredentials = async (pool: pg.Pool, userId: string) =>
  (await rowsOf(pool, userId)).map(toCredential);

/** The user's passkeys as the security page lists them (no key material). */
export const listPasskeys = async (pool: pg.Pool, userId: string) =>
  (await rowsOf(pool, userId)).map(toPasskey);

export async function findCredential(
  pool: pg.Pool,
  credentialId: string,
): Promise<StoredCredential | undefined> {
  const { rows } = await pool.query<PasskeyRow>(
    `select ${COLUMNS} from passkeys where credential_id = $1`,
    [credentialId],
  );
  return rows[0] && toCredential(rows[0]);
}

/**
 * The account's WebAuthn user handle (base64url of 32 random bytes, made on first use): what an
 * authenticator stores with the passkey instead of anything that names the person.
 */
export async function userHandle(pool: pg.Pool, userId: string): Promise<string> {
  const fresh = randomBytes(32).toString("base64url");
  const { rows } = await pool.query<{ handle: string }>(
    `update users set webauthn_user_id = coalesce(webauthn_user_id, $2)
      where id = $1 returning webauthn_user_id as handle`,
    [userId, fresh],
  );
  const handle = rows[0]?.handle;
  if (handle === undefined) throw new Error("no such user");
  return handle;
}

/** The account's user handle if it has one (it has, once it registered a passkey). */
export async function findUserHandle(pool: pg.Pool, userId: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ handle: string | null }>(
    "select webauthn_user_id as handle from users where id = $1",
    [userId],
  );
  return rows[0]?.handle ?? undefined;
}

/** Stores a verified passkey; "taken": that credential is registered already (here or to anyone). */
export async function addPasskey(
  methods: SignInMethods,
  userId: string,
  passkey: NewPasskey,
): Promise<Passkey | "taken" | "limit" | "gone"> {
  try {
    const result = await methods.change(userId, async (client) => {
      if ((await countPasskeys(client, userId)) >= MAX_PASSKEYS) return "limit" as const;
      const { rows } = await client.query<PasskeyRow>(
        `insert into passkeys
           (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${COLUMNS}`,
        [
          userId,
          passkey.credentialId,
          Buffer.from(passkey.publicKey),
          passkey.counter,
          passkey.transports,
          passkey.deviceType,
          passkey.backedUp,
          passkey.name,
        ],
      );
      return toPasskey(rows[0] as PasskeyRow);
    });
    return result ?? "gone";
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return "taken";
    throw error;
  }
}

/**
 * Records a sign-in with the passkey: its new counter and backup state, and when. Only if the
 * counter is still the one the assertion was checked against, so of two answers checked at once
 * against the same counter, one wins.
 */
export async function recordUse(
  pool: pg.Pool,
  credential: StoredCredential,
  use: { newCounter: number; backedUp: boolean },
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `update passkeys set counter = $3, backed_up = $4, last_used_at = now()
      where id = $1 and counter = $2`,
    [credential.id, credential.counter, use.newCounter, use.backedUp],
  );
  return (rowCount ?? 0) > 0;
}

export async function renamePasskey(
  pool: pg.Pool,
  userId: string,
  passkeyId: string,
  name: string,
): Promise<boolean> {
  if (!isId(passkeyId)) return false;
  const { rowCount } = await pool.query(
    "update passkeys set name = $3 where id = $2 and user_id = $1",
    [userId, passkeyId, name],
  );
  return (rowCount ?? 0) > 0;
}

/** Removes one of the user's passkeys, unless it is their last way to sign in. */
export function removePasskey(methods: SignInMethods, userId: string, passkeyId: string) {
  if (!isId(passkeyId)) return Promise.resolve("none" as const);
  return methods.removeOne(userId, {
    owned: async (client) =>
      Boolean(
        (
          await client.query("select 1 from passkeys where id = $2 and user_id = $1", [
            userId,
            passkeyId,
          ])
        ).rowCount,
      ),
    remove: async (client) => {
      await client.query("delete from passkeys where id = $2 and user_id = $1", [
        userId,
        passkeyId,
      ]);
    },
  });
}

async function countPasskeys(client: pg.PoolClient, userId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "select count(*)::int as n from passkeys where user_id = $1",
    [userId],
  );
  return rows[0]?.n ?? 0;
}

/** Passkeys as a way to sign in: counted with the others; gone at the first proof of the address. */
export const passkeySignInMethod: SignInMethodSource = {
  kind: "passkeys",
  count: countPasskeys,
  async removeAll(client, userId) {
    const { rowCount } = await client.query("delete from passkeys where user_id = $1", [userId]);
    const n = rowCount ?? 0;
    return n === 0 ? undefined : msg("passkeys.removedCount", { count: n });
  },
};

export async function hasPasskeys(pool: pg.Pool, userId: string): Promise<boolean> {
  const { rowCount } = await pool.query("select 1 from passkeys where user_id = $1 limit 1", [
    userId,
  ]);
  return (rowCount ?? 0) > 0;
}
