import { type Request, type RequestHandler, Router } from "express";
import { safeReturnPath } from "../auth/validation.js";
import type { Clock } from "../clock.js";
import { AppError, type AppErrorOptions } from "../http/respond.js";
import { noStore, wantsJson } from "../http/views.js";
import type { Message } from "../i18n/index.js";
import { SUDO_WINDOW_MS } from "../policy.js";

/**
 * Who may use a route, declared where the route is declared (never by URL prefix): a private
 * router is private wherever it is mounted. test/security/route-walk.test.ts walks every route
 * the app registers and reads these marks.
 */
export type Access = "user" | "verified" | "sudo";

export type Guard = RequestHandler & { readonly access: Access };

const guard = (access: Access, handler: RequestHandler): Guard =>
  Object.assign(handler, { access });

export interface Guards {
  /** Logged in; otherwise to the login page (which comes back here), or 401 for a script. */
  user: Guard;
  /** REQUIRE_EMAIL_VERIFICATION=true: the address is verified; otherwise to the account page. */
  verified: Guard;
  /**
   * Sudo mode (OWASP: re-authenticate before sensitive changes): a login or a confirmation
   * (/account/confirm) within SUDO_WINDOW_MS. A GET goes to confirm and comes back; a POST is
   * never replayed: the user confirms and goes back to `returnTo`, the page its form is on.
   */
  sudo(returnTo?: string): Guard;
}

/** The confirmation page for `next` (a path on this site). */
export const confirmPath = (next: string) => `/account/confirm?${new URLSearchParams({ next })}`;

export function isRecentlyAuthenticated(
  req: Express.Request & { session: { authenticatedAt?: number } },
  nowMs: number,
): boolean {
  const at = req.session.authenticatedAt;
  return typeof at === "number" && nowMs - at >= 0 && nowMs - at <= SUDO_WINDOW_MS;
}

function hasCookie(header: string | undefined, name: string): boolean {
  return header?.split(";").some((part) => part.trim().startsWith(`${name}=`)) ?? false;
}

export function createGuards(options: {
  sessionCookieName: string;
  requireEmailVerification: boolean;
  clock: Clock;
  /** Asked before every sensitive change (FeatureParts.refuseSensitive): a Message refuses it. */
  refusals?: readonly ((req: Request) => Message | undefined)[];
}): Guards {
  // Private pages are never cached (the back button after logout shows nothing private). A
  // request that still carried a session cookie had a session that ended: the login page says so.
  const user = guard("user", (req, res, next) => {
    noStore(res);
    if (req.user) return next();
    if (wantsJson(req)) return next(new AppError(401, "unauthenticated", "core.logInFirst"));
    const params = new URLSearchParams({ next: req.originalUrl });
    if (hasCookie(req.headers.cookie, options.sessionCookieName)) params.set("expired", "1");
    res.redirect(303, `/login?${params}`);
  });

  const verified = guard("verified", (req, _res, next) => {
    if (!options.requireEmailVerification || !req.user || req.user.emailVerifiedAt) return next();
    next(new AppError(403, "email_unverified", "core.emailUnverified", { back: "/account" }));
  });

  const sudo = (returnTo = "/account/security") =>
    guard("sudo", (req, res, next) => {
      for (const refuse of options.refusals ?? []) {
        const refused = refuse(req);
        if (refused !== undefined) {
          noStore(res);
          // A form goes back to its page with the message; a page gets the error page.
          const back = req.method === "GET" ? {} : { back: returnTo };
          return next(refusal(403, "not_allowed", refused, back));
        }
      }
      if (isRecentlyAuthenticated(req, options.clock())) return next();
      noStore(res);
      const back = req.method === "GET" ? (safeReturnPath(req.originalUrl) ?? returnTo) : returnTo;
      if (wantsJson(req)) {
        const confirm = confirmPath(back);
        return next(
          new AppError(403, "reauthentication_required", "sudo.confirmFirst", {
            json: { confirm },
          }),
        );
      }
      res.redirect(303, confirmPath(back));
    });

  return { user, verified, sudo };
}

/** An AppError saying a Message (a catalogue key, with its values if any). */
export function refusal(
  status: number,
  code: string,
  message: Message,
  options: AppErrorOptions = {},
): AppError {
  return typeof message === "string"
    ? new AppError(status, code, message, options)
    : new AppError(status, code, message.key, {
        ...options,
        ...(message.values === undefined ? {} : { values: message.values }),
      });
}

type Method = "get" | "post" | "put" | "patch" | "delete";
type AddRoute = (path: string, ...handlers: RequestHandler[]) => Router;

/**
 * A router whose every route runs `guards` first (logged in, and the address verified unless
 * `unverified: true`). Only routes: `use()` would run the guards for every request passing by.
 */
export function privateRouter(guards: Guards, options: { unverified?: boolean } = {}): Router {
  const router = Router();
  const first = options.unverified ? [guards.user] : [guards.user, guards.verified];
  for (const method of ["get", "post", "put", "patch", "delete"] as const satisfies Method[]) {
    const add = router[method].bind(router) as unknown as AddRoute;
    const guarded: AddRoute = (path, ...handlers) => add(path, ...first, ...handlers);
    Object.assign(router, { [method]: guarded });
  }
  Object.assign(router, {
    use() {
      throw new Error(
        "A private router takes routes only (get, post, ...): use() would guard every request that passes by. Use a public Router for middleware.",
      );
    },
  });
  return router;
}

/**
 * The logged-in user of a request that passed the login guard. A route that calls it without
 * the guard in front answers 401 rather than reading an undefined user.
 */
export function userOf(req: Express.Request): Express.User {
  if (!req.user) throw new AppError(401, "unauthenticated", "core.logInFirst");
  return req.user;
}
