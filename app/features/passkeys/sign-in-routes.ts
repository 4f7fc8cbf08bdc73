import { type Request, type Response, Router } from "express";
import { renewUserSession } from "../../auth/login-session.js";
import { sessionEnded } from "../../auth/session-cookie.js";
import { findUserById } from "../../auth/users.js";
import { safeReturnPath } from "../../auth/validation.js";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { AppError, tooManyAttempts } from "../../http/respond.js";
import { noStore } from "../../http/views.js";
import {
  authenticationOptions,
  type CeremonyDeps,
  type Refusal,
  verifyAssertion,
} from "./ceremony.js";

/** The JSON endpoints `passkeys.js` calls: every answer is JSON, never cached. */
const refuse = (refusal: Refusal) => new AppError(refusal.status, refusal.error, refusal.message);

const noPendingLogin = () =>
  new AppError(401, "no_pending_login", "passkeys.errors.noPendingLogin", {
    json: { next: "/login?twofactor=1" },
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

const json = (res: Response, body: unknown) => {
  noStore(res);
  res.json(body);
};

/**
 * Signing in with a passkey (the login page's button and its autofill), a passkey as the second
 * factor after a password, and a passkey to confirm it's you (sudo mode).
 */
export function passkeySignInRoutes(kit: Kit, deps: CeremonyDeps): Router {
  const { pool, limiter, clock, secondFactors } = kit;
  const router = Router();

  // A challenge for any passkey of this site. It is kept in a session, so each is counted per IP.
  router.post("/login/passkey/options", async (req, res) => {
    noStore(res);
    const attempt = await limiter.passkeySignInByIp.take(req.ip ?? "unknown");
    if (!attempt.allowed) throw tooManyAttempts(attempt.retryAfterSeconds, "passkeySignIns");
    json(res, { options: await authenticationOptions(deps, req, "sign-in") });
  });

  // The passkey's answer: logged in on a new session (a passkey with user verification is both
  // factors, so two-factor asks nothing more), "remember me" as ticked on the page.
  router.post("/login/passkey", async (req, res) => {
    noStore(res);
    const { credential, remember, next } = extras(req);
    const checked = await verifyAssertion(deps, req, "sign-in", credential, { endSession: true });
    if (!checked.ok) throw refuse(checked);
    const user = await findUserById(pool, checked.credential.userId);
    if (!user) {
      throw new AppError(401, "unknown_passkey", "passkeys.errors.accountGone");
    }
    await kit.signIn.firstFactor(req, res, user, {
      method: "passkey",
      remember,
      next,
      bothFactors: true,
    });
  });

  // The second factor: one of the pending user's passkeys.
  router.post("/login/two-factor/passkey/options", async (req, res) => {
    noStore(res);
    const pending = secondFactors.pending(req);
    if (!pending) throw noPendingLogin();
    json(res, {
      options: await authenticationOptions(deps, req, "second-factor", pending.userId),
    });
  });

  router.post("/login/two-factor/passkey", async (req, res) => {
    noStore(res);
    const pending = secondFactors.pending(req);
    if (!pending) throw noPendingLogin();
    const checked = await verifyAssertion(deps, req, "second-factor", extras(req).credential, {
      userId: pending.userId,
      endSession: true,
    });
    if (!checked.ok) throw refuse(checked);
    // verifyAssertion took the pending step already (endSession).
    if (!(await kit.signIn.secondFactor(req, res, pending, { taken: true }))) {
      throw noPendingLogin();
    }
  });

  // Sudo mode with a passkey instead of the password (and code).
  const confirm = privateRouter(kit.guards);
  confirm.post("/account/confirm/passkey/options", async (req, res) => {
    const user = userOf(req);
    json(res, { options: await authenticationOptions(deps, req, "confirm", user.id) });
  });

  confirm.post("/account/confirm/passkey", async (req, res) => {
    const user = userOf(req);
    const { credential, next } = extras(req);
    const checked = await verifyAssertion(deps, req, "confirm", credential, {
      userId: user.id,
      endSession: false,
    });
    if (!checked.ok) throw refuse(checked);
    if (!(await renewUserSession(pool, req, user))) throw sessionEnded(res, kit.sessionCookie);
    req.session.authenticatedAt = clock();
    req.log?.info({ userId: user.id }, "re-authenticated with a passkey");
    json(res, { confirmed: true, next: next ?? "/account/security" });
  });

  return router.use(confirm);
}
