import { type Request, type RequestHandler, type Response, Router } from "express";
import * as oidc from "openid-client";
import type pg from "pg";
import { recordEvent } from "../../activity/record.js";
import type { SignIns } from "../../activity/sign-in.js";
import type { Clock } from "../../clock.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import { startUserSession } from "../login-session.js";
import { beginSecondFactor } from "../two-factor/pending.js";
import type { TwoFactorStore } from "../two-factor/store.js";
import { createUser, findUserById } from "../users.js";
import { emailAddress, safeReturnPath } from "../validation.js";
import { type OidcClient, SignInFailed } from "./client.js";
import type { FlowCookies } from "./flow-cookie.js";
import {
  findUserIdByIdentity,
  linkIdentity,
  listIdentities,
  unlinkIdentity,
} from "./identities.js";

export interface OidcRouteDeps {
  pool: pg.Pool;
  views: Views;
  client: OidcClient;
  flows: FlowCookies;
  signIns: SignIns;
  /** The provider's name, as on the button: "Continue with <name>". */
  name: string;
  /** Re-authentication before a sensitive change (sudo mode), for "Link" and "Unlink". */
  requireRecentAuth: RequestHandler;
  /** An account with two-factor on still needs its second factor after the provider. */
  twoFactor: TwoFactorStore;
  clock: Clock;
}

/**
 * "Continue with <provider>": sign in, or create an account, with an OpenID Connect provider
 * (authorization code flow with PKCE, state and nonce, through openid-client), and link or
 * unlink the provider on the account page.
 *
 * An identity whose email matches an existing account is never linked silently: the user logs in
 * to that account first and links it there, so a provider that hands out unverified addresses
 * cannot take over accounts.
 */
export function oidcRoutes(deps: OidcRouteDeps): Router {
  const { pool, views, client, flows, name } = deps;
  const router = Router();

  function failure(req: Request, res: Response, status: number, message: string) {
    noStore(res);
    if (wantsJson(req)) {
      res.status(status).json({ error: "sign_in_failed", message });
      return;
    }
    views.render(
      res,
      "error",
      { title: `Signing in with ${name} did not work`, status, message },
      status,
    );
  }

  /** A new flow for this browser, and the provider's URL to send it to. */
  async function begin(res: Response, extra: { next?: string; linkUserId?: string }) {
    const checks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = await client.authorizationUrl(checks);
    flows.set(res, { ...checks, ...extra });
    res.redirect(303, url.href);
  }

  // The account page's "Sign-in methods" part: the linked identity with "Unlink", or "Link".
  router.get("/account", async (req, res, next) => {
    const user = req.user as Express.User;
    res.locals.oidcIdentities = await listIdentities(pool, user.id);
    next();
  });

  // The "Continue with <name>" button on /login and /register: off to the provider.
  router.post("/auth/oidc/start", async (req, res) => {
    const next = safeReturnPath(req.body?.next);
    await begin(res, next ? { next } : {});
  });

  // "Link <name>" on the account page (sudo mode: a new way to sign in, like a passkey): the
  // same trip, remembered as this user's.
  router.post("/account/oidc/link", deps.requireRecentAuth, async (req, res) => {
    await begin(res, { linkUserId: (req.user as Express.User).id, next: "/account" });
  });

  // "Unlink" (sudo mode): refused while it is the last way to sign in.
  router.post("/account/oidc/unlink", deps.requireRecentAuth, async (req, res) => {
    const user = req.user as Express.User;
    const id = typeof req.body?.identity === "string" ? req.body.identity : "";
    const result = await unlinkIdentity(pool, user.id, id);
    if (result === "unlinked") {
      await recordEvent(pool, { userId: user.id, kind: "identity_unlinked", req });
    }
    req.session.flash =
      result === "unlinked"
        ? { kind: "info", text: `${name} was unlinked from your account.` }
        : result === "last"
          ? {
              kind: "error",
              text: `${name} is the only way you sign in: add a passkey on the security page first, then unlink it.`,
            }
          : { kind: "info", text: `${name} was already unlinked.` };
    res.redirect(303, "/account");
  });

  // Where the provider sends the browser back: finish this browser's flow, whatever happens.
  router.get("/auth/oidc/callback", async (req, res) => {
    const flow = flows.read(req);
    flows.clear(res);
    if (!flow) {
      return failure(
        req,
        res,
        400,
        `This sign-in was not started in this browser, or took longer than 10 minutes. Start again from the login page.`,
      );
    }
    let identity: Awaited<ReturnType<OidcClient["finish"]>>;
    try {
      const query = req.originalUrl.slice(req.originalUrl.indexOf("?") + 1);
      identity = await client.finish(req.originalUrl.includes("?") ? query : "", flow);
    } catch (error) {
      if (error instanceof SignInFailed) {
        req.log?.info({ err: error.cause ?? error }, "oidc sign-in failed");
        return failure(req, res, 400, error.message);
      }
      throw error;
    }

    // The claim is the provider's user's to type: only an address the sign-up form would take
    // is kept (never a list, a display name or a line break that would spread the account's mails).
    const email = emailAddress(identity.email);
    const claimed = { ...identity, email };

    if (flow.linkUserId !== undefined) return finishLink(req, res, flow.linkUserId, claimed);

    const known = await findUserIdByIdentity(pool, identity.issuer, identity.subject);
    let user = known === undefined ? undefined : await findUserById(pool, known);
    const newAccount = !user;
    if (!user) {
      if (identity.email === undefined) {
        return failure(
          req,
          res,
          400,
          `${name} did not share an email address, so no account was made.`,
        );
      }
      if (email === undefined) {
        return failure(
          req,
          res,
          400,
          `${name} gave an email address that cannot be used here, so no account was made.`,
        );
      }
      // Account pre-hijacking: an address the provider has not checked could be anyone's. No
      // account holds it on the provider's word alone, so its owner can still sign up with it.
      if (!identity.emailVerified) {
        return failure(
          req,
          res,
          403,
          `${name} has not confirmed that ${email} is yours, so no account was made with it. You can create an account with a password instead (we send a link to confirm the address); once it is confirmed, link ${name} on your account page.`,
        );
      }
      const created = await createUser(pool, email, null, { emailVerified: true });
      if (created === "taken") {
        return failure(
          req,
          res,
          409,
          `An account with ${email} already exists. Log in to it first (with your password), then choose "Link ${name}" on your account page. If you did not make it, or do not know its password, choose "Forgot your password?" on the login page: a reset link goes to ${email}, and resetting removes whatever anyone else added to the account.`,
        );
      }
      if ((await linkIdentity(pool, created.id, claimed)) === "taken") {
        // The same identity's first sign-in in another tab won the race: use that account.
        await pool.query("delete from users where id = $1", [created.id]);
        return failure(req, res, 409, `That sign-in was already completed. Start again.`);
      }
      req.log?.info({ userId: created.id }, "user registered with oidc");
      user = created;
    }
    const next = safeReturnPath(flow.next);
    if (await deps.twoFactor.isEnabled(user.id)) {
      // The provider vouched for the first factor; this account's second factor still decides.
      await beginSecondFactor(req, user, {
        since: deps.clock(),
        remember: false,
        next,
        firstFactor: "oidc",
      });
      req.log?.info({ userId: user.id }, "oidc sign-in accepted, second factor pending");
      return res.redirect(303, "/login/two-factor");
    }
    // A sign-in just now: sudo mode starts, as after a password login.
    await startUserSession(req, user, null, { authenticatedAt: deps.clock() });
    await deps.signIns.signedIn(req, res, user, "oidc", { newAccount });
    req.log?.info({ userId: user.id }, "user logged in with oidc");
    res.redirect(303, next ?? "/account");
  });

  async function finishLink(
    req: Request,
    res: Response,
    userId: string,
    identity: { issuer: string; subject: string; email: string | undefined },
  ) {
    // The flow was started by this account's session; a different session cannot finish it.
    if (req.user?.id !== userId) {
      return failure(
        req,
        res,
        403,
        `Log in to the account you want to link ${name} to, then try again.`,
      );
    }
    const linked = await linkIdentity(pool, userId, identity);
    if (linked === "taken") {
      return failure(
        req,
        res,
        409,
        `That ${name} account already signs in to another account here, so it was not linked.`,
      );
    }
    await recordEvent(pool, { userId, kind: "identity_linked", req });
    req.session.flash = { kind: "info", text: `${name} is linked: you can sign in with it now.` };
    res.redirect(303, "/account");
  }

  return router;
}
