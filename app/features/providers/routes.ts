import express, { type NextFunction, type Request, type Response, Router } from "express";
import * as oidc from "openid-client";
import { createUser, findCredentials, findUserById } from "../../auth/users.js";
import { emailAddress, safeReturnPath } from "../../auth/validation.js";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { AppError } from "../../http/respond.js";
import { type Message, msg } from "../../i18n/index.js";
import type { SessionData } from "../../session/index.js";
import { type Provider, type ProviderIdentity, SignInCancelled, SignInFailed } from "./client.js";
import {
  ANSWER_FIELD_MAX,
  ANSWER_FIELDS,
  type AnswerCookies,
  type FlowCookies,
} from "./flow-cookie.js";
import {
  findUserIdByIdentity,
  type LinkedIdentity,
  linkIdentity,
  unlinkIdentity,
} from "./identities.js";

export interface ProviderRouteDeps {
  registry: ReadonlyMap<string, Provider>;
  flows: FlowCookies;
  answers: AnswerCookies;
  /** AUTH_TRUSTED_PROVIDERS: keys whose vouched-for address may join the account that has it. */
  trusted: ReadonlySet<string>;
  /** What the signed-in session keeps of this sign-in (RP-initiated logout: the ID token). */
  keepFor(provider: Provider, identity: ProviderIdentity): Partial<SessionData> | undefined;
}

/**
 * "Continue with <provider>": sign in, or create an account, with any provider of the registry
 * (authorization code flow with PKCE and state, and a nonce where there is an ID token, through
 * openid-client), and link or unlink providers in the account page's Connected accounts.
 *
 * An identity whose address matches an existing account is never linked silently: the user logs
 * in to that account first and links it there, so a provider that hands out unverified addresses
 * cannot take over accounts. Only a provider listed in AUTH_TRUSTED_PROVIDERS, and only when it
 * vouches for the address, joins that account on a first sign-in: as the first proof of the
 * address, which removes what was added to the account before anyone had proven it.
 */
export function providerRoutes(kit: Kit, deps: ProviderRouteDeps): Router {
  const { pool, events } = kit;
  const { registry, flows, trusted } = deps;
  const router = Router();
  const account = privateRouter(kit.guards);
  const sudo = kit.guards.sudo("/account");

  const failure = (provider: Provider, status: number, message: Message) =>
    new SignInFailed(provider.name, status, message);

  /** The route's provider; an unknown key is a 404, as any other unknown page. */
  const providerFor = (req: Request, next: NextFunction): Provider | undefined => {
    const provider = registry.get(String(req.params.provider));
    if (!provider) next();
    return provider;
  };

  /** A new flow for this browser, and the provider's URL to send it to. */
  async function begin(
    res: Response,
    provider: Provider,
    extra: { next?: string; linkUserId?: string },
  ) {
    const checks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = await provider.authorizationUrl(checks);
    flows.set(res, { provider: provider.key, ...checks, ...extra });
    res.redirect(303, url.href);
  }

  // A "Continue with <name>" button on /login and /register: off to the provider.
  router.post("/auth/:provider/start", async (req, res, next) => {
    const provider = providerFor(req, next);
    if (!provider) return;
    const after = safeReturnPath(req.body?.next);
    await begin(res, provider, after ? { next: after } : {});
  });

  // "Link <name>" in Connected accounts (sudo mode: a new way to sign in, like a passkey): the
  // same trip, remembered as this user's.
  account.post("/account/providers/:provider/link", sudo, async (req, res, next) => {
    const provider = providerFor(req, next);
    if (!provider) return;
    await begin(res, provider, { linkUserId: userOf(req).id, next: "/account" });
  });

  // "Unlink" (sudo mode): refused while it is the last way to sign in.
  account.post("/account/providers/unlink", sudo, async (req, res) => {
    const user = userOf(req);
    const id = typeof req.body?.identity === "string" ? req.body.identity : "";
    const { result, provider } = await unlinkIdentity(kit.signInMethods, user.id, id);
    const name = provider && registry.get(provider)?.name;
    if (result === "unlinked") {
      await events.record({ userId: user.id, kind: "identity_unlinked", req });
    }
    // A provider no longer configured has no name: "That provider".
    const named = (key: string) => (name === undefined ? `${key}Unnamed` : msg(key, { name }));
    req.session.flash =
      result === "unlinked"
        ? { kind: "info", text: named("providers.flash.unlinked") }
        : result === "last"
          ? { kind: "error", text: named("providers.flash.lastWay") }
          : { kind: "info", text: "providers.flash.alreadyUnlinked" };
    res.redirect(303, "/account");
  });

  // Where the provider sends the browser back (a form_post answer arrives here through the
  // answer cookie, answerRoutes below): finish this browser's flow, whatever happens.
  router.get("/auth/:provider/callback", async (req, res, next) => {
    const provider = providerFor(req, next);
    if (!provider) return;
    const flow = flows.read(req);
    flows.clear(res);
    const posted = deps.answers.read(req);
    if (posted) deps.answers.clear(res);
    const query = req.originalUrl.includes("?")
      ? req.originalUrl.slice(req.originalUrl.indexOf("?") + 1)
      : "";
    const answer = new URLSearchParams(
      posted?.provider === provider.key && query === "" ? posted.answer : query,
    );
    if (!flow || flow.provider !== provider.key) {
      throw failure(provider, 400, "providers.errors.noFlow");
    }
    let identity: ProviderIdentity;
    try {
      identity = await provider.finish(answer, flow);
    } catch (error) {
      if (error instanceof SignInCancelled) {
        // Cancel at the provider: back to where the trip began, saying so.
        throw new AppError(400, "sign_in_cancelled", "providers.errors.cancelled", {
          values: { name: provider.name },
          back: flow.linkUserId === undefined ? "/login" : "/account",
        });
      }
      if (error instanceof SignInFailed) {
        req.log?.info({ err: error.cause ?? error }, "provider sign-in failed");
      }
      throw error;
    }

    // The claim is the provider's user's to type: only an address the sign-up form would take
    // is kept (never a list, a display name or a line break that would spread the account's mails).
    const email = emailAddress(identity.email);
    const linked: LinkedIdentity = { ...identity, provider: provider.key, email };

    if (flow.linkUserId !== undefined) {
      return finishLink(req, res, provider, flow.linkUserId, linked);
    }

    const known = await findUserIdByIdentity(pool, identity.issuer, identity.subject);
    const existing = known === undefined ? undefined : await findUserById(pool, known);
    const { user, joined } = existing
      ? { user: existing, joined: false }
      : await firstSignIn(req, provider, identity, linked);
    // The provider vouched for the first factor; the account's second factor, if on, decides.
    await kit.signIn.firstFactor(req, res, user, {
      method: "oidc",
      remember: false,
      keep: deps.keepFor(provider, identity),
      next: safeReturnPath(flow.next),
      newAccount: !existing && !joined,
      ...(joined
        ? {
            flash: {
              kind: "info" as const,
              text: msg("providers.flash.joined", {
                name: provider.name,
                email: linked.email,
              }),
            },
          }
        : {}),
    });
  });

  /**
   * An identity nobody has: a new account with the address the provider vouches for, or (a
   * trusted provider) the account that has it; anything else is refused with a page saying why.
   */
  async function firstSignIn(
    req: Request,
    provider: Provider,
    identity: ProviderIdentity,
    linked: LinkedIdentity,
  ): Promise<{ user: Express.User; joined: boolean }> {
    const { email } = linked;
    if (identity.email === undefined) {
      throw failure(provider, 400, "providers.errors.noEmail");
    }
    if (email === undefined) {
      throw failure(provider, 400, "providers.errors.badEmail");
    }
    // Account pre-hijacking: an address the provider has not checked could be anyone's. No
    // account holds it on the provider's word alone, so its owner can still sign up with it.
    if (!identity.emailVerified) {
      throw failure(provider, 403, msg("providers.errors.unverifiedEmail", { email }));
    }
    const created = await createUser(pool, email, null, { emailVerified: true });
    if (created === "taken") {
      const joined = trusted.has(provider.key)
        ? await join(req, provider, email, linked)
        : undefined;
      if (joined) return { user: joined, joined: true };
      throw failure(provider, 409, msg("providers.errors.emailTaken", { email }));
    }
    if ((await linkIdentity(pool, created.id, linked)) === "taken") {
      // The same identity's first sign-in in another tab won the race: use that account.
      await pool.query("delete from users where id = $1", [created.id]);
      throw failure(provider, 409, "providers.errors.alreadyCompleted");
    }
    req.log?.info(
      { userId: created.id, provider: provider.key },
      "user registered with a provider",
    );
    return { user: created, joined: false };
  }

  /**
   * AUTH_TRUSTED_PROVIDERS: the provider vouches for the address of an existing account, so the
   * identity joins it. That is a proof of the address: the first one takes the account over as a
   * verification link does (kit.proveAddress: what was added before it, the password included,
   * goes, and every session ends), then the identity is linked. Undefined if the account is gone.
   */
  async function join(
    req: Request,
    provider: Provider,
    email: string,
    identity: LinkedIdentity,
  ): ReturnType<typeof findUserById> {
    const owner = (await findCredentials(pool, email))?.user;
    if (!owner) return undefined;
    await kit.proveAddress(req, owner.id, { keepSession: false, password: "remove" });
    if ((await linkIdentity(pool, owner.id, identity)) === "taken") return undefined;
    await events.record({ userId: owner.id, kind: "identity_linked", req });
    req.log?.info({ userId: owner.id, provider: provider.key }, "provider joined an account");
    // Read again: the proof may have started a new session generation.
    return findUserById(pool, owner.id);
  }

  async function finishLink(
    req: Request,
    res: Response,
    provider: Provider,
    userId: string,
    identity: LinkedIdentity,
  ) {
    const { name } = provider;
    // The flow was started by this account's session; a different session cannot finish it.
    if (req.user?.id !== userId) {
      throw failure(provider, 403, "providers.errors.linkOtherSession");
    }
    if ((await linkIdentity(pool, userId, identity)) === "taken") {
      throw failure(provider, 409, "providers.errors.linkTaken");
    }
    await events.record({ userId, kind: "identity_linked", req });
    req.session.flash = { kind: "info", text: msg("providers.flash.linked", { name }) };
    res.redirect(303, "/account");
  }

  return router.use(account);
}

/**
 * A provider's form_post answer (Apple's): a cross-site POST, so it is taken before the session,
 * the body parsers and CSRF (its protection is the flow's state, checked at the GET callback),
 * kept in the answer cookie, and the browser is sent on to GET the callback (flow-cookie.ts).
 */
export function answerRoutes(deps: Pick<ProviderRouteDeps, "registry" | "answers">): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 });
  router.post("/auth/:provider/callback", form, (req: Request, res: Response, next) => {
    const provider = deps.registry.get(String(req.params.provider));
    if (!provider) return next();
    const answer = new URLSearchParams();
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const field of ANSWER_FIELDS) {
      const value = body[field];
      if (typeof value === "string" && value.length <= ANSWER_FIELD_MAX) answer.set(field, value);
    }
    // Every answer of a sign-in this app started names its state.
    if (!answer.has("state")) {
      throw new SignInFailed(provider.name, 400, "providers.errors.notAnAnswer");
    }
    deps.answers.set(res, { provider: provider.key, answer: answer.toString() });
    res.set("Cache-Control", "no-store");
    res.redirect(303, `/auth/${provider.key}/callback`);
  });
  return router;
}
