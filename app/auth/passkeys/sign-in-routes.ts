import { type Request, type Response, Router } from "express";
import type { SignIns } from "../../activity/sign-in.js";
import type { Clock } from "../../clock.js";
import { noStore, type Views } from "../../http/views.js";
import type { PasswordLimiter } from "../../security/password-limits.js";
import { tooManyAttempts } from "../../security/too-many-attempts.js";
import { renewUserSession, startUserSession } from "../login-session.js";
import { completeSecondFactor, pendingSecondFactor } from "../two-factor/pending.js";
import { findUserById } from "../users.js";
import { safeReturnPath } from "../validation.js";
import {
  authenticationOptions,
  type CeremonyDeps,
  type Refusal,
  verifyAssertion,
} from "./ceremony.js";

export interface PasskeySignInDeps extends CeremonyDeps {
  views: Views;
  limiter: PasswordLimiter;
  signIns: SignIns;
  rememberMs: number;
  clock: Clock;
}

/** The JSON endpoints `public/passkeys.js` calls: every answer is JSON, never cached. */
const refuse = (res: Response, refusal: Refusal) =>
  res.status(refusal.status).json({ error: refusal.error, message: refusal.message });

const noPendingLogin = (res: Response) =>
  res.status(401).json({
    error: "no_pending_login",
    message: "That login took more than 5 minutes. Enter your password again.",
    next: "/login?twofactor=1",
  });

/** What the script sends besides the passkey's answer. */
function extras(req: Request) {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return {
    credential: body.credential,
    remember: body.remember === true,
    next: safeReturnPath(body.next),
  };
}

/**
 * Signing in with a passkey (the login page's button and its autofill), a passkey as the second
 * factor after a password, and a passkey to confirm it's you (sudo mode).
 */
export function passkeySignInRoutes(deps: PasskeySignInDeps): Router {
  const { pool, limiter, clock } = deps;
  const router = Router();
  router.use(
    ["/login/passkey", "/login/two-factor/passkey", "/account/confirm/passkey"],
    (_r, res, next) => {
      noStore(res);
      next();
    },
  );

  // A challenge for any passkey of this site. It is kept in a session, so each is counted per IP.
  router.post("/login/passkey/options", async (req, res) => {
    const attempt = await limiter.passkeySignInByIp.take(req.ip ?? "unknown");
    if (!attempt.allowed) {
      return tooManyAttempts(req, res, deps.views, attempt.retryAfterSeconds, "passkey sign-ins");
    }
    res.json({ options: await authenticationOptions(deps, req, "sign-in") });
  });

  // The passkey's answer: logged in on a new session (a passkey with user verification is both
  // factors, so two-factor asks nothing more), "remember me" as ticked on the page.
  router.post("/login/passkey", async (req, res) => {
    const { credential, remember, next } = extras(req);
    const checked = await verifyAssertion(deps, req, "sign-in", credential, { endSession: true });
    if (!checked.ok) return refuse(res, checked);
    const user = await findUserById(pool, checked.credential.userId);
    if (!user) {
      return refuse(res, {
        status: 401,
        error: "unknown_passkey",
        message: "That passkey's account no longer exists.",
      });
    }
    await startUserSession(req, user, remember ? deps.rememberMs : null, {
      authenticatedAt: clock(),
    });
    await deps.signIns.signedIn(req, res, user, "passkey");
    req.log?.info({ userId: user.id }, "user logged in with a passkey");
    res.json({ user: { id: user.id, email: user.email }, next: next ?? "/account" });
  });

  // The second factor: one of the pending user's passkeys.
  router.post("/login/two-factor/passkey/options", async (req, res) => {
    const pending = pendingSecondFactor(req, clock());
    if (!pending) return noPendingLogin(res);
    res.json({
      options: await authenticationOptions(deps, req, "second-factor", pending.userId),
    });
  });

  router.post("/login/two-factor/passkey", async (req, res) => {
    const now = clock();
    const pending = pendingSecondFactor(req, now);
    if (!pending) return noPendingLogin(res);
    const checked = await verifyAssertion(deps, req, "second-factor", extras(req).credential, {
      userId: pending.userId,
      endSession: true,
    });
    if (!checked.ok) return refuse(res, checked);
    if (!(await completeSecondFactor(req, res, deps, pending, now))) return noPendingLogin(res);
    req.log?.info({ userId: pending.userId, method: "passkey" }, "user logged in");
    res.json({ user: { id: pending.userId }, next: pending.next ?? "/account" });
  });

  // Sudo mode with a passkey instead of the password (and code).
  router.post("/account/confirm/passkey/options", async (req, res) => {
    const user = req.user as Express.User;
    res.json({ options: await authenticationOptions(deps, req, "confirm", user.id) });
  });

  router.post("/account/confirm/passkey", async (req, res) => {
    const user = req.user as Express.User;
    const { credential, next } = extras(req);
    const checked = await verifyAssertion(deps, req, "confirm", credential, {
      userId: user.id,
      endSession: false,
    });
    if (!checked.ok) return refuse(res, checked);
    if (!(await renewUserSession(pool, req, user))) {
      return res.status(401).json({
        error: "session_ended",
        message: "Your session has ended.",
        next: "/login?expired=1",
      });
    }
    req.session.authenticatedAt = clock();
    req.log?.info({ userId: user.id }, "re-authenticated with a passkey");
    res.json({ confirmed: true, next: next ?? "/account/security" });
  });

  return router;
}
