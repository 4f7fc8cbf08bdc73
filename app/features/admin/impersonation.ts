import type { Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { startUserSession } from "../../auth/login-session.js";
import { clearSessionCookie } from "../../auth/session-cookie.js";
import { findUserById } from "../../auth/users.js";
import type { Kit } from "../../core/feature.js";
import { wantsJson } from "../../http/views.js";
import { localeOf, msg, translator } from "../../i18n/index.js";
import { can } from "./roles.js";
import { audit, roleOf } from "./store.js";

/** An impersonation ends by itself this long after it began. */
export const IMPERSONATION_MS = 30 * 60 * 1000;

declare module "../../session/types.js" {
  interface SessionData {
    /** This session was opened by an administrator as the user (impersonation.ts). */
    impersonation: unknown;
  }
}

/**
 * What an impersonated session carries (session.impersonation: kept across a renewal of its
 * ID, as all its data are; dropped by any new login): who is signed in as whom, since when, and
 * the admin's session generation then (their sessions ended meanwhile: Stop does not return them).
 */
const impersonationSchema = z.object({
  adminId: z.string(),
  adminEmail: z.string(),
  adminGeneration: z.number(),
  userId: z.string(),
  userEmail: z.string(),
  startedAt: z.number(),
});
export type Impersonation = z.infer<typeof impersonationSchema>;

const sessionOf = (req: Request) => (req as { session?: Request["session"] }).session;

/** This session's impersonation, if it is one (whatever else the session holds). */
export function impersonationOf(req: Request): Impersonation | undefined {
  const parsed = impersonationSchema.safeParse(sessionOf(req)?.impersonation);
  return parsed.success && req.user?.id === parsed.data.userId ? parsed.data : undefined;
}

/** A catalogue key: the refusal of a sensitive change in an impersonated session. */
export const REFUSED_WHILE_IMPERSONATING = "admin.impersonation.refused";

export interface Impersonations {
  start(req: Request, admin: Express.User, user: Express.User): Promise<void>;
  /** Back to the admin's own session; where to send the browser. */
  stop(req: Request, res: Response, marked: Impersonation, why: string): Promise<string>;
  /** Ends an impersonation past its time, on any request. */
  expire: RequestHandler;
}

export function impersonation(kit: Kit): Impersonations {
  const { pool, clock } = kit;

  /**
   * "Sign in as this user": a new session (regenerated ID, the admin's own is destroyed) logged
   * in as the user, marked as impersonated; it never counts as a recent sign-in (sudo mode).
   */
  async function start(req: Request, admin: Express.User, user: Express.User): Promise<void> {
    const marked: Impersonation = {
      adminId: admin.id,
      adminEmail: admin.email,
      adminGeneration: admin.sessionGeneration,
      userId: user.id,
      userEmail: user.email,
      startedAt: clock(),
    };
    await startUserSession(req, user, null, { authenticatedAt: 0 });
    req.session.impersonation = marked;
  }

  /**
   * Ends it: the admin is back on a new session of their own (sudo mode asked again), unless
   * their sessions were ended meanwhile or they are no admin any more: then logged out.
   */
  async function stop(req: Request, res: Response, marked: Impersonation, why: string) {
    await audit(pool, {
      actor: { id: marked.adminId, email: marked.adminEmail },
      target: { id: marked.userId, email: marked.userEmail },
      action: why === "expired" ? "impersonation expired" : "impersonation stopped",
      ip: req.ip,
    });
    const admin = await findUserById(pool, marked.adminId);
    const role = admin && (await roleOf(pool, admin.id));
    if (
      admin &&
      admin.sessionGeneration === marked.adminGeneration &&
      can(role === undefined ? undefined : { role }, "users.impersonate")
    ) {
      await startUserSession(req, admin, null, { authenticatedAt: 0 });
      req.session.flash = {
        kind: "info",
        text: msg(
          why === "expired" ? "admin.impersonation.expired" : "admin.impersonation.stopped",
          { email: marked.userEmail },
        ),
      };
      return `/admin/users/${marked.userId}`;
    }
    await req.session.destroy();
    clearSessionCookie(res, kit.sessionCookie);
    return "/login";
  }

  /** On every request: an impersonation past its 30 minutes ends before anything else runs. */
  const expire: RequestHandler = (req, res, next) => {
    const marked = impersonationOf(req);
    if (!marked) return next();
    const age = clock() - marked.startedAt;
    if (age >= 0 && age <= IMPERSONATION_MS) return next();
    stop(req, res, marked, "expired")
      .then((next) => {
        if (wantsJson(req)) {
          res.status(401).json({
            error: "impersonation_ended",
            message: translator(localeOf(req))("admin.impersonation.ended"),
            next,
          });
          return;
        }
        res.redirect(303, next);
      })
      .catch(next);
  };

  return { start, stop, expire };
}
