import type { Request } from "express";
import type pg from "pg";
import { revokeAllSessions, revokeOtherSessions } from "../../account/sessions.js";
import type { Events } from "../../core/events.js";
import type { SignInMethods, UnprovenAccessRemoval } from "../../core/sign-in-methods.js";
import { DEFAULT_LOCALE, translator } from "../../i18n/index.js";
import type { UnprovenAccess } from "../../mail/templates.js";
import { hashStoreKey } from "../../session/index.js";
import { renewUserSession } from "../login-session.js";
import type { Recovery } from "./service.js";

export interface AddressProofDeps {
  pool: pg.Pool;
  recovery: Recovery;
  events: Events;
  signInMethods: SignInMethods;
  /** What the features added (passkeys, identities, a TOTP secret), removed at the first proof. */
  unprovenAccess: readonly UnprovenAccessRemoval[];
}

/**
 * Account pre-hijacking (Sudhodanan and Paverd, USENIX Security 2022): anyone can make an
 * account with someone else's address, or add to one, before its owner proves it. So the first
 * proof that the address's mailbox is behind the account (the verification link, a password
 * reset; any later "address proven" path calls this too) takes over the account for whoever
 * proved it: every way in added until then goes (passkeys, linked provider identities, the
 * TOTP secret and recovery codes), every session ends (the session generation), pending
 * changes of address are cancelled, and the activity trail and a mail to the address say so.
 * A password goes only when asked (`password: "remove"`): by a proof that is a way in needing
 * no password (an emailed sign-in link or code, a sign-in provider that vouches for the address),
 * since one set before the proof may be a squatter's. A reset has just replaced it; a
 * verification link keeps it (its mail went to the address at sign-up, asked for by whoever
 * chose the password).
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
  deps: AddressProofDeps,
  req: Request,
  userId: string,
  options: { keepSession: boolean; password?: "keep" | "remove" },
): Promise<AddressProof> {
  const { pool } = deps;
  const cleared = await deps.signInMethods.change(userId, async (client) => {
    const { rows } = await client.query<{ session_generation: number }>(
      `update users set email_verified_at = now(), session_generation = session_generation + 1,
              updated_at = now()
        where id = $1 and email_verified_at is null returning session_generation`,
      [userId],
    );
    const marked = rows[0];
    if (!marked) return undefined;
    const removed: string[] = [];
    if (options.password === "remove") {
      const dropped = await client.query(
        "update users set password_hash = null where id = $1 and password_hash is not null",
        [userId],
      );
      if ((dropped.rowCount ?? 0) > 0) removed.push("the password");
    }
    for (const removal of deps.unprovenAccess) {
      const what = await removal.removeAll(client, userId);
      // A Message now; in English until the mail that lists them translates them.
      if (what !== undefined) removed.push(translator(DEFAULT_LOCALE)(what));
    }
    // A change of address asked for before: its link would move the account elsewhere.
    await client.query("delete from user_tokens where user_id = $1 and purpose = 'change_email'", [
      userId,
    ]);
    return { generation: marked.session_generation, removed };
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

  const removed: UnprovenAccess = { removed: cleared.removed, sessions };
  // Sessions alone end for every owner who signs up on one device and verifies on another:
  // said in the mail when something else went, not worth a mail of their own.
  if (removed.removed.length > 0) {
    await deps.events.record({ userId, kind: "unproven_access_removed", req });
    deps.recovery.unprovenAccessRemoved(userId, removed);
  }
  return { first: true, keptSession };
}
