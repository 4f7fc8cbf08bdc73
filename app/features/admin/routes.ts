import { type Request, type RequestHandler, type Response, Router } from "express";
import { listUserSessions, revokeUserSession } from "../../account/sessions.js";
import { endAllSessions } from "../../auth/session-generation.js";
import { deleteUser, findUserById } from "../../auth/users.js";
import type { Kit } from "../../core/feature.js";
import { userOf } from "../../core/guards.js";
import { AppError } from "../../http/respond.js";
import { timeView } from "../../http/time-format.js";
import { deviceName } from "../../http/user-agent.js";
import { type Views, wantsJson } from "../../http/views.js";
import {
  localeOf,
  type Message,
  mailLocale,
  msg,
  type Translate,
  translator,
} from "../../i18n/index.js";
import { impersonation, impersonationOf } from "./impersonation.js";
import { deletedMail, lockedMail, twoFactorResetMail } from "./mails.js";
import { type Action, can } from "./roles.js";
import {
  type AdminUser,
  audit,
  findById,
  listAudit,
  listUsers,
  lock,
  roleOf,
  unlock,
} from "./store.js";

/** How /admin names each kind of sign-in method a feature counts (SignInMethodSource.kind): keys. */
const METHOD_LABELS: Record<string, string> = {
  passkeys: "admin.methods.passkeys",
  identities: "admin.methods.identities",
};

/** The audit trail's actions (store.ts, cli.ts) as the pages say them: keys. */
const AUDIT_ACTIONS: Record<string, string> = {
  lock: "admin.audit.actions.lock",
  unlock: "admin.audit.actions.unlock",
  "sign-out": "admin.audit.actions.signOut",
  "session revoked": "admin.audit.actions.sessionRevoked",
  "two-factor turned off": "admin.audit.actions.twoFactorOff",
  "verification sent": "admin.audit.actions.verificationSent",
  delete: "admin.audit.actions.delete",
  "impersonation started": "admin.audit.actions.impersonationStarted",
  "impersonation stopped": "admin.audit.actions.impersonationStopped",
  "impersonation expired": "admin.audit.actions.impersonationExpired",
  promote: "admin.audit.actions.promote",
  demote: "admin.audit.actions.demote",
};

/** What store.ts's audit() names the command line as (no actor). */
const COMMAND_LINE = "command line";

/** A role as the pages say it ("admin", "user"); a role of a product's own as it is named. */
const ROLE_LABELS: Record<string, string> = {
  user: "admin.roles.user",
  admin: "admin.roles.admin",
};
const roleLabel = (t: Translate, role: string) =>
  ROLE_LABELS[role] ? t(ROLE_LABELS[role] as string) : role;

const notFound = () =>
  new AppError(404, "not_found", "errors.notFound.message", { title: "errors.notFound.title" });

/**
 * The admin area. Every route answers a 404, exactly as an unknown address does, to anyone who
 * may not do its action (logged out, a user, a session signed in as someone by an administrator):
 * the area is not advertised. Every change also needs sudo mode, and CSRF as every POST does.
 */
export function adminRoutes(kit: Kit, views: Views): Router {
  const { pool, config, mailer, events } = kit;
  const router = Router();
  const sudo = kit.guards.sudo("/admin");
  const impersonate = impersonation(kit);

  /** The route, for those whose role may do `action` (roles.ts); a 404 for everyone else. */
  const allow =
    (action: Action): RequestHandler =>
    (req, _res, next) => {
      if (!req.user || impersonationOf(req)) return next("route");
      roleOf(pool, req.user.id)
        .then((role) =>
          next(can(role === undefined ? undefined : { role }, action) ? undefined : "route"),
        )
        .catch(next);
    };

  /** The user a route names; a 404 when there is none. */
  async function target(req: Request): Promise<AdminUser> {
    const user = await findById(pool, String(req.params.id));
    if (!user) throw notFound();
    return user;
  }

  const done = (req: Request, res: Response, user: { id: string }, text: Message) => {
    if (wantsJson(req))
      return void res.json({ done: true, message: translator(localeOf(req))(text) });
    req.session.flash = { kind: "info", text };
    res.redirect(303, `/admin/users/${user.id}`);
  };

  const record = (req: Request, user: AdminUser | null, action: string) => {
    const admin = userOf(req);
    return audit(pool, {
      actor: { id: admin.id, email: admin.email },
      target: user && { id: user.id, email: user.email },
      action,
      ip: req.ip,
    });
  };

  /** Not on yourself: your own account is changed from your own settings. */
  const notSelf = (req: Request, user: AdminUser) => {
    if (userOf(req).id === user.id) {
      throw new AppError(409, "own_account", "admin.errors.ownAccount", {
        back: `/admin/users/${user.id}`,
      });
    }
  };

  /** Each feature's say on an account: two-factor on, passkeys, providers (their counts). */
  async function stateOf(user: AdminUser, t: Translate) {
    const factors: string[] = [];
    for (const factor of kit.secondFactors.all) {
      if (factor.removeAll && (await factor.required(user.id))) factors.push(factor.id);
    }
    const counts = await kit.signInMethods.counts(user.id);
    const methods = Object.entries(counts).map(([kind, count]) => ({
      kind,
      label: METHOD_LABELS[kind] ? t(METHOD_LABELS[kind] as string) : kind,
      count,
    }));
    return { twoFactor: factors.length > 0, factors, methods };
  }

  // A column for each kind of way in the app's features count: a feature's absence drops it.
  const columns = (t: Translate) =>
    kit.signInMethods.kinds.map((kind) => ({
      kind,
      label: METHOD_LABELS[kind] ? t(METHOD_LABELS[kind] as string) : kind,
    }));

  // Users, newest first; ?q= an address prefix (any case); ?after= the last ID of the page before.
  router.get("/admin", allow("admin.view"), async (req, res) => {
    const q = typeof req.query.q === "string" ? req.query.q.trim().slice(0, 254) : "";
    const after = typeof req.query.after === "string" ? req.query.after : undefined;
    const page = await listUsers(pool, { prefix: q, after });
    const locale = localeOf(req);
    const t = translator(locale);
    const now = new Date();
    const users = [];
    for (const user of page.users) {
      const state = await stateOf(user, t);
      users.push({
        ...user,
        ...state,
        lastSignIn: user.lastSignInAt && timeView(user.lastSignInAt, now, locale),
        created: timeView(user.createdAt, now, locale),
      });
    }
    if (wantsJson(req)) return void res.json({ users, next: page.next ?? null });
    const shown = users.map((user) => ({ ...user, roleLabel: roleLabel(t, user.role) }));
    const more = page.next
      ? `/admin?${new URLSearchParams({ ...(q ? { q } : {}), after: page.next })}`
      : undefined;
    views.render(res, "users", {
      title: "admin.users.title",
      q,
      users: shown,
      more,
      columns: columns(t),
    });
  });

  // The admin audit trail: every action an administrator (or the command line) took, newest first.
  router.get("/admin/audit", allow("admin.view"), async (req, res) => {
    const entries = await listAudit(pool);
    if (wantsJson(req)) return void res.json({ audit: entries });
    const now = new Date();
    const locale = localeOf(req);
    const t = translator(locale);
    views.render(res, "audit", {
      title: "admin.audit.title",
      entries: entries.map((entry) => ({
        ...entry,
        actor: entry.actorEmail === COMMAND_LINE ? t("admin.audit.commandLine") : entry.actorEmail,
        said: AUDIT_ACTIONS[entry.action] ? t(AUDIT_ACTIONS[entry.action] as string) : entry.action,
        time: timeView(entry.createdAt, now, locale),
      })),
    });
  });

  // A user's page: state, sessions, sign-in methods, recent activity, and the actions.
  router.get("/admin/users/:id", allow("users.view"), async (req, res) => {
    const user = await target(req);
    const locale = localeOf(req);
    const t = translator(locale);
    const state = await stateOf(user, t);
    const { sessions } = await listUserSessions(pool, user.id, {
      idleTimeoutMs: config.sessionIdleTimeoutMs,
      currentKey: "",
      limit: 50,
    });
    const { rows } = await pool.query<{ password: boolean }>(
      "select password_hash is not null as password from users where id = $1",
      [user.id],
    );
    const password = rows[0]?.password ?? false;
    const now = new Date();
    const activity = (await events.recent(user.id, 20)).map((event) => {
      const kind = kit.eventKinds.get(event.kind);
      const said = kind === undefined ? event.kind : t(kind);
      return {
        ...event,
        text: event.method
          ? t("admin.user.eventMethod", { what: said, method: event.method })
          : said,
        time: timeView(event.createdAt, now, locale),
      };
    });
    if (wantsJson(req)) {
      return void res.json({ user, ...state, password, sessions, activity });
    }
    views.render(res, "user", {
      title: user.email,
      person: user,
      roleLabel: roleLabel(t, user.role),
      ...state,
      password,
      self: userOf(req).id === user.id,
      isAdmin: user.role === "admin",
      sessions: sessions.map((session) => ({
        ...session,
        device: deviceName(session.userAgent ?? undefined, localeOf(req)),
        lastSeen: session.lastSeen && timeView(session.lastSeen, now, locale),
      })),
      activity,
      lastSignIn: user.lastSignInAt && timeView(user.lastSignInAt, now, locale),
    });
  });

  // "Lock": the mark, then every session ends; every sign-in is refused until "Unlock".
  router.post("/admin/users/:id/lock", allow("users.lock"), sudo, async (req, res) => {
    const user = await target(req);
    notSelf(req, user);
    const locked = await lock(pool, user.id);
    if (locked) {
      await record(req, user, "lock");
      await events.record({ userId: user.id, kind: "admin_locked", req });
      const locale = mailLocale(user, req);
      mailer.queue("locked mail", () => mailer.send(user.email, lockedMail(), locale));
    }
    done(
      req,
      res,
      user,
      msg(locked ? "admin.done.locked" : "admin.done.alreadyLocked", { email: user.email }),
    );
  });

  router.post("/admin/users/:id/unlock", allow("users.lock"), sudo, async (req, res) => {
    const user = await target(req);
    const unlocked = await unlock(pool, user.id);
    if (unlocked) {
      await record(req, user, "unlock");
      await events.record({ userId: user.id, kind: "admin_unlocked", req });
    }
    done(
      req,
      res,
      user,
      msg(unlocked ? "admin.done.unlocked" : "admin.done.notLocked", { email: user.email }),
    );
  });

  // "Sign out everywhere": every session of the user ends (they can sign in again).
  router.post("/admin/users/:id/sign-out", allow("users.sign-out"), sudo, async (req, res) => {
    const user = await target(req);
    notSelf(req, user);
    await endAllSessions(pool, user.id);
    await record(req, user, "sign-out");
    await events.record({ userId: user.id, kind: "admin_signed_out", req });
    done(req, res, user, msg("admin.done.signedOut", { email: user.email }));
  });

  // "Revoke" beside one of the user's sessions.
  router.post(
    "/admin/users/:id/sessions/revoke",
    allow("users.sign-out"),
    sudo,
    async (req, res) => {
      const user = await target(req);
      const key = typeof req.body?.key === "string" ? req.body.key : "";
      const ended = /^[0-9a-f]{64}$/.test(key) && (await revokeUserSession(pool, user.id, key));
      if (ended) {
        await record(req, user, "session revoked");
        await events.record({ userId: user.id, kind: "admin_session_revoked", req });
      }
      done(req, res, user, ended ? "admin.done.sessionEnded" : "admin.done.sessionAlreadyEnded");
    },
  );

  // "Turn off two-factor": through each second factor's own removal (SecondFactor.removeAll).
  router.post(
    "/admin/users/:id/two-factor/disable",
    allow("users.two-factor"),
    sudo,
    async (req, res) => {
      const user = await target(req);
      const removed: Message[] = [];
      const client = await pool.connect();
      try {
        await client.query("begin");
        for (const factor of kit.secondFactors.all) {
          const what = factor.removeAll && (await factor.removeAll(client, user.id));
          if (what) removed.push(what);
        }
        await client.query("commit");
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
      if (removed.length === 0)
        return done(req, res, user, msg("admin.done.noTwoFactor", { email: user.email }));
      await record(req, user, "two-factor turned off");
      await events.record({ userId: user.id, kind: "admin_two_factor_disabled", req });
      const locale = mailLocale(user, req);
      mailer.queue("two-factor reset mail", () =>
        mailer.send(user.email, twoFactorResetMail(`${config.appUrl}/account/security`), locale),
      );
      done(req, res, user, msg("admin.done.twoFactorOff", { email: user.email }));
    },
  );

  // "Resend verification": a new link to the address (nothing when it is verified already).
  router.post(
    "/admin/users/:id/verification",
    allow("users.verification"),
    sudo,
    async (req, res) => {
      const user = await target(req);
      if (user.emailVerifiedAt)
        return done(req, res, user, msg("admin.done.alreadyVerified", { email: user.email }));
      kit.sendVerification(user.id);
      await record(req, user, "verification sent");
      await events.record({ userId: user.id, kind: "admin_verification_sent", req });
      done(req, res, user, msg("admin.done.verificationSent", { email: user.email }));
    },
  );

  // "Delete account": every session ends, then the account and all it holds (ON DELETE CASCADE).
  router.post("/admin/users/:id/delete", allow("users.delete"), sudo, async (req, res) => {
    const user = await target(req);
    notSelf(req, user);
    await endAllSessions(pool, user.id);
    await deleteUser(pool, user.id);
    await record(req, user, "delete");
    const locale = mailLocale(user, req);
    mailer.queue("deleted mail", () => mailer.send(user.email, deletedMail(), locale));
    if (wantsJson(req)) return void res.json({ deleted: true });
    req.session.flash = { kind: "info", text: msg("admin.done.deleted", { email: user.email }) };
    res.redirect(303, "/admin");
  });

  // "Sign in as this user": never an administrator, never a locked account.
  router.post(
    "/admin/users/:id/impersonate",
    allow("users.impersonate"),
    sudo,
    async (req, res) => {
      const found = await target(req);
      const refuse = (message: string) =>
        new AppError(409, "not_allowed", message, { back: `/admin/users/${found.id}` });
      if (found.role === "admin" || userOf(req).id === found.id) {
        throw refuse("admin.errors.impersonateAdmin");
      }
      if (found.lockedAt) throw refuse("admin.errors.impersonateLocked");
      const user = await findUserById(pool, found.id);
      if (!user) throw notFound();
      await record(req, found, "impersonation started");
      await events.record({ userId: user.id, kind: "admin_impersonated", req });
      await impersonate.start(req, userOf(req), user);
      req.log?.info({ userId: user.id }, "impersonation started");
      if (wantsJson(req)) return void res.json({ impersonating: user.email, next: "/account" });
      res.redirect(303, "/account");
    },
  );

  // "Stop" in the banner: back to the administrator's own session. A 404 for any other session.
  router.post("/admin/impersonation/stop", async (req, res, next) => {
    const marked = impersonationOf(req);
    if (!marked) return next();
    const back = await impersonate.stop(req, res, marked, "stopped");
    if (wantsJson(req)) return void res.json({ stopped: true, next: back });
    res.redirect(303, back);
  });

  return router;
}
