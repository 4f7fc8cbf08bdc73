import type pg from "pg";
import { endAllSessions } from "../../auth/session-generation.js";
import { exactTime } from "../../http/time-format.js";
import { audit, findByEmail, listUsers, lock, setRole, unlock } from "./store.js";

export const USAGE = `usage: npm run users -- <command>
  list                 every user, newest first: id, address, role, locked
  promote <email>      make the user an administrator
  demote <email>       make the administrator a user again
  lock <email>         end every session of the user and refuse their sign-ins
  unlock <email>       let the user sign in again
  sign-out <email>     end every session of the user`;

export interface CommandResult {
  ok: boolean;
  /** What it did, a line each. */
  lines: string[];
}

const fail = (...lines: string[]): CommandResult => ({ ok: false, lines });
const done = (...lines: string[]): CommandResult => ({ ok: true, lines });

/** Every user, a page at a time. */
async function list(pool: pg.Pool): Promise<CommandResult> {
  const lines: string[] = [];
  let after: string | undefined;
  do {
    const page = await listUsers(pool, { prefix: "", after, limit: 500 });
    for (const user of page.users) {
      const state = user.lockedAt ? `locked since ${exactTime(user.lockedAt)}` : "";
      lines.push([user.id, user.email, user.role, state].filter(Boolean).join("\t"));
    }
    after = page.next;
  } while (after);
  return done(...(lines.length > 0 ? lines : ["No users yet."]));
}

/** One command of the command line, on `pool`: what it printed, and whether it worked. */
export async function runCommand(pool: pg.Pool, args: readonly string[]): Promise<CommandResult> {
  const [command, email, ...rest] = args;
  if (command === "list" && email === undefined) return list(pool);
  const commands = ["promote", "demote", "lock", "unlock", "sign-out"];
  if (!command || !commands.includes(command) || !email || rest.length > 0) {
    return fail(`Unknown command: ${args.join(" ")}`, USAGE);
  }
  const user = await findByEmail(pool, email);
  if (!user) return fail(`No user has the address ${email}.`);
  const target = { id: user.id, email: user.email };
  const record = (action: string) => audit(pool, { actor: null, target, action });
  switch (command) {
    case "promote":
      if (!(await setRole(pool, user.id, "admin")))
        return done(`${user.email} is already an admin.`);
      await record("promote");
      return done(`${user.email} is now an admin.`);
    case "demote":
      if (!(await setRole(pool, user.id, "user"))) return done(`${user.email} is not an admin.`);
      await record("demote");
      return done(`${user.email} is no longer an admin (role: user).`);
    case "lock": {
      const locked = await lock(pool, user.id);
      await record("lock");
      return done(
        locked
          ? `${user.email} is locked: every session ended, sign-ins refused until unlocked.`
          : `${user.email} was already locked; every session ended again.`,
      );
    }
    case "unlock":
      if (!(await unlock(pool, user.id))) return done(`${user.email} was not locked.`);
      await record("unlock");
      return done(`${user.email} is unlocked: they can sign in again.`);
    default:
      await endAllSessions(pool, user.id);
      await record("sign-out");
      return done(`${user.email} is signed out: every session ended.`);
  }
}
