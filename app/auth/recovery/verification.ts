import { type Request, Router } from "express";
import type pg from "pg";
import type { Events } from "../../core/events.js";
import { type Guards, privateRouter, userOf } from "../../core/guards.js";
import type { SignInMethods, UnprovenAccessRemoval } from "../../core/sign-in-methods.js";
import { tooManyAttempts } from "../../http/respond.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import { localeOf, type Message, msg } from "../../i18n/index.js";
import { type PasswordLimiter, takeAll } from "../../security/password-limits.js";
import { renewUserSession } from "../login-session.js";
import { loginAccount } from "../users.js";
import { proveAddress } from "./address-proof.js";
import { invalidLink } from "./pages.js";
import type { Recovery } from "./service.js";
import { consumeToken } from "./tokens.js";

export interface VerificationDeps {
  pool: pg.Pool;
  views: Views;
  limiter: PasswordLimiter;
  recovery: Recovery;
  events: Events;
  signInMethods: SignInMethods;
  unprovenAccess: readonly UnprovenAccessRemoval[];
  guards: Guards;
}

/** The mail limits for a logged-in user's own address: per account and per address. */
export async function takeMailPoints(
  pool: pg.Pool,
  limiter: PasswordLimiter,
  user: Express.User,
  to: string,
) {
  const address = await loginAccount(pool, to);
  return takeAll([
    [limiter.mailByAccount, `user:${user.id}`],
    [limiter.mailByAddress, address.addressKey],
  ]);
}

const flash = (req: Request, text: Message, mailSent?: boolean) => {
  req.session.flash = { kind: "info", text, ...(mailSent ? { mailSent } : {}) };
};

/**
 * Address verification: a link is sent at sign-up and on "Resend"; opening it marks the
 * address verified. If the browser is logged in to that account, its session gets a new ID.
 */
export function verificationRoutes(deps: VerificationDeps): Router {
  const { pool, views, limiter, recovery } = deps;
  const router = Router();

  // The link in the mail.
  // The first proof of the address also removes whatever was added before it (address-proof.ts);
  // a browser logged in to the account stays logged in, every other session ends.
  router.get("/email/verify/:token", async (req, res) => {
    const owner = await consumeToken(pool, req.params.token, "verify");
    if (!owner) throw invalidLink(views);
    const user = req.user;
    await deps.events.record({ userId: owner.userId, kind: "email_verified", req });
    const proof = await proveAddress(deps, req, owner.userId, { keepSession: true });
    req.log?.info({ userId: owner.userId }, "email verified");
    noStore(res);
    if (user?.id === owner.userId) {
      const verified = { ...user, emailVerifiedAt: user.emailVerifiedAt ?? new Date() };
      if (proof.first ? proof.keptSession : await renewUserSession(pool, req, verified)) {
        flash(req, "recovery.verified.message");
        return res.redirect(303, "/account");
      }
    }
    if (wantsJson(req)) return res.json({ verified: true });
    views.render(res, "recovery/message", {
      title: "recovery.verified.title",
      message: "recovery.verified.message",
      link: user
        ? { href: "/account", label: "recovery.verified.back" }
        : { href: "/login", label: "recovery.verified.logIn" },
    });
  });

  // "Resend" on the account page: a new link (the older ones stop working).
  // Open to a user whose address is not verified yet: that is who needs it.
  const account = privateRouter(deps.guards, { unverified: true });
  account.post("/account/email/resend", async (req, res) => {
    const user = userOf(req);
    if (user.emailVerifiedAt) {
      flash(req, "recovery.verified.already");
      return res.redirect(303, "/account");
    }
    const attempt = await takeMailPoints(pool, limiter, user, user.email);
    if (!attempt.allowed) {
      throw tooManyAttempts(attempt.retryAfterSeconds, "mails");
    }
    recovery.sendVerification(user.id, localeOf(req));
    flash(req, msg("recovery.resent", { email: user.email }), true);
    if (wantsJson(req)) return res.json({ sent: true });
    res.redirect(303, "/account");
  });

  return router.use(account);
}
