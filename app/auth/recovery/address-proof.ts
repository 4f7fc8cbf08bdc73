import type { Request } from "express";
import type pg from "pg";
import { revokeAllSessions, revokeOtherSessions } from "../../account/sessions.js";
import { recordEvent } from "../../activity/record.js";
import type { UnprovenAccess } from "../../mail/templates.js";
import { hashStoreKey } from "../../session/index.js";
import { renewUserSession } from "../login-session.js";
import { changeSignInMethods } from "../sign-in-methods.js";
import type { Recovery } from "./service.js";

/**
 * Account pre-hijacking (Sudhodanan and Paverd, USENIX Security 2022): anyone can make an
 * account with someone else's address, or add to one, before its owner proves it. So the first
 * proof that the address's mailbox is behind the account (the verification link, a password
 * reset; any later "address proven" path calls this too) takes over the account for whoever
 * proved it: every way in added until then goes (passkeys, linked provider identities, the
 * TOTP secret and recovery codes), every session ends (the session generation), pending
 * changes of address are cancelled, and the activity trail and a mail to the address say so.
 * A password is not removed here: a reset has just replaced it; a verification link keeps it.
 */
export interface AddressProof {
  /** The address was unproven until this call (false: proven before; nothing was done). */
  first: boolean;
  /** This request's session goes on logged in (asked for, and the proof was the first). */
  keptSession: boolean;
}

/**
 * Marks the user's address proven. The first time, in one transaction with the user's row
 * locked: the mark, the removals and a new session generation, so no request of a session
 * ended here can add a way in after it has been cleared. `keepSession`: this request's session,
 * if logged in to the same account (the verification link opened in the owner's browser), goes
 * on under a new ID and the new generation; any other session ends.
 */
export async function proveAddress(
  deps: { pool: pg.Pool; recovery: Recovery },
  req: Request,
  userId: string,
  options: { keepSession: boolean },
): Promise<AddressProof> {
  const { pool } = deps;
  const cleared = await changeSignInMethods(pool, userId, async (client) => {
    const { rows } = await client.query<{ session_generation: number }>(
      `update users set email_verified_at = now(), session_generation = session_generation + 1,
              updated_at = now()
        where id = $1 and email_verified_at is null returning session_generation`,
      [userId],
    );
    const marked = rows[0];
    if (!marked) return undefined;
    const removed = async (sql: string) => (await client.query(sql, [userId])).rowCount ?? 0;
    const passkeys = await removed("delete from passkeys where user_id = $1");
    const identities = await removed("delete from user_identities where user_id = $1");
    await removed("delete from recovery_codes where user_id = $1");
    const twoFactor = (await removed("delete from two_factor where user_id = $1")) > 0;
    // A change of address asked for before: its link would move the account elsewhere.
    await removed("delete from user_tokens where user_id = $1 and purpose = 'change_email'");
    return { generation: marked.session_generation, passkeys, identities, twoFactor };
  });
  if (!cleared) return { first: false, keptSession: false };

  const user = req.user;
  let keptSession = false;
  let sessions: number;
  if (options.keepSession && user?.id === userId) {
    keptSession = await renewUserSession(pool, req, {
      ...user,
      sessionGeneration: cleared.generation,
      emailVerifiedAt: new Date(),
    });
    sessions = await revokeOtherSessions(pool, userId, hashStoreKey(req.sessionID));
  } else {
    sessions = await revokeAllSessions(pool, userId);
  }
  req.log?.info({ userId }, "address proven for the first time");

  const removed: UnprovenAccess = {
    passkeys: cleared.passkeys,
    identities: cleared.identities,
    twoFactor: cleared.twoFactor,
    sessions,
  };
  // Sessions alone end for every owner who signs up on one device and verifies on another:
  // said in the mail when something else went, not worth a mail of their own.
  if (removed.passkeys + removed.identities > 0 || removed.twoFactor) {
    await recordEvent(pool, { userId, kind: "unproven_access_removed", req });
    deps.recovery.unprovenAccessRemoved(userId, removed);
  }
  return { first: true, keptSession };
}
