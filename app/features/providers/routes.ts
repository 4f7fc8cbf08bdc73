import { type Request, type Response, Router } from "express";
import * as oidc from "openid-client";
import { createUser, findUserById } from "../../auth/users.js";
import { emailAddress, safeReturnPath } from "../../auth/validation.js";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { AppError } from "../../http/respond.js";
import { type OidcClient, SignInFailed } from "./client.js";
import type { FlowCookies } from "./flow-cookie.js";
import { findUserIdByIdentity, linkIdentity, unlinkIdentity } from "./identities.js";

export interface OidcRouteDeps {
  client: OidcClient;
  flows: FlowCookies;
  /** The provider's name, as on the button: "Continue with <name>". */
  name: string;
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
export function oidcRoutes(kit: Kit, deps: OidcRouteDeps): Router {
  const { pool, events } = kit;
  const { client, flows, name } = deps;
  const router = Router();
  const account = privateRouter(kit.guards);
  const sudo = kit.guards.sudo("/account");

  const failure = (_req: Request, _res: Response, status: number, message: string): never => {
    throw new AppError(status, "sign_in_failed", message, {
      title: `Signing in with ${name} did not work`,
    });
  };

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

  // The "Continue with <name>" button on /login and /register: off to the provider.
  router.post("/auth/oidc/start", async (req, res) => {
    const next = safeReturnPath(req.body?.next);
    await begin(res, next ? { next } : {});
  });

  // "Link <name>" on the account page (sudo mode: a new way to sign in, like a passkey): the
  // same trip, remembered as this user's.
  account.post("/account/oidc/link", sudo, async (req, res) => {
    await begin(res, { linkUserId: userOf(req).id, next: "/account" });
  });

  // "Unlink" (sudo mode): refused while it is the last way to sign in.
  account.post("/account/oidc/unlink", sudo, async (req, res) => {
    const user = userOf(req);
    const id = typeof req.body?.identity === "string" ? req.body.identity : "";
    const result = await unlinkIdentity(kit.signInMethods, user.id, id);
    if (result === "unlinked") {
      await events.record({ userId: user.id, kind: "identity_unlinked", req });
    }
    req.session.flash =
      result === "unlinked"
        ? { kind: "info", text: `${name} was unlinked from your account.` }
        : result === "last"
          ? {
              kind: "error",
              text: `${name} is the only way you sign in: add another way first (a password: "Forgot your password?" on the login page), then unlink it.`,
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
    // The provider vouched for the first factor; the account's second factor, if on, decides.
    await kit.signIn.firstFactor(req, res, user, {
      method: "oidc",
      remember: false,
      next: safeReturnPath(flow.next),
      newAccount,
    });
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
    await events.record({ userId, kind: "identity_linked", req });
    req.session.flash = { kind: "info", text: `${name} is linked: you can sign in with it now.` };
    res.redirect(303, "/account");
  }

  return router.use(account);
}
