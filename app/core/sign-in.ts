import type { Request, Response } from "express";
import type pg from "pg";
import { claimSessionRow, endSessionsOverLimit } from "../account/sessions.js";
import { startUserSession } from "../auth/login-session.js";
import type { Flash } from "../auth/session-data.js";
import type { Clock } from "../clock.js";
import { wantsJson } from "../http/views.js";
import type { Message } from "../i18n/index.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import { hashStoreKey, type SessionData } from "../session/index.js";
import type { Events } from "./events.js";
import { refusal } from "./guards.js";
import {
  beginSecondFactor,
  type PendingSecondFactor,
  type SecondFactors,
} from "./second-factor.js";

/** A sign-in that has just happened, as the features' `onSignIn` hooks see it. */
export interface SignInDone {
  req: Request;
  user: Express.User;
  /** "password", "passkey", "oidc", "password+2fa", ... */
  method: string;
  /** This browser held the account's device cookie: it signed in here before. */
  knownDevice: boolean;
  /** The account was made by this sign-in (registration): nobody to warn. */
  newAccount: boolean;
}

export interface FirstFactorProven {
  /** What proved it: "password", "passkey", "oidc" (a provider), ... */
  method: string;
  /** "Remember me": the cookie outlives the browser (SESSION_REMEMBER_MS). */
  remember: boolean;
  /** Where to go once logged in (a path on this site, already checked). */
  next?: string | undefined;
  /** The account was made just now (registration, a provider's first sign-in). */
  newAccount?: boolean;
  /** The first factor is two in one (a passkey with user verification): no second step. */
  bothFactors?: boolean;
  /** A message for the next page. */
  flash?: Flash;
  /**
   * Session data the logged-in session keeps (a provider's ID token, for logging out there too):
   * set on it when it logs in, also when that is after a second factor, on a later request.
   */
  keep?: Partial<SessionData>;
}

/**
 * The one way every sign-in ends (password, passkey, provider, registration, and the second
 * factor): decides whether a second factor is needed, logs in on a regenerated session,
 * applies "remember me", ends the sessions over the limit per user, records the sign-in, runs
 * the features' hooks (the new-device notice), issues the device cookie and answers: a
 * redirect for a page, `{ user, next }` for a script.
 */
export interface SignIn {
  firstFactor(
    req: Request,
    res: Response,
    user: Express.User,
    proven: FirstFactorProven,
  ): Promise<void>;
  /**
   * The pending sign-in's second factor was proven (`method`: "totp", "passkey", ...). False,
   * with nothing answered, when the account is gone or its sessions were ended meanwhile (a
   * password change or reset): the caller ends the attempt.
   */
  secondFactor(
    req: Request,
    res: Response,
    pending: PendingSecondFactor,
    options?: { flash?: Flash; taken?: boolean },
  ): Promise<boolean>;
  /**
   * Takes this session's pending step for one answer: its row in the store is deleted at once, so
   * of two answers sent together (a code and a recovery code, two tabs) one goes on and the other
   * gets false. `secondFactor` takes it itself unless told it was `taken` already; a wrong answer
   * gives it back with `givePendingBack`. An answer that spends something (a recovery code) takes
   * the step first, so the one that loses spends nothing.
   */
  takePending(req: Request): Promise<boolean>;
  givePendingBack(req: Request, pending: PendingSecondFactor): Promise<void>;
}

export function createSignIn(deps: {
  pool: pg.Pool;
  devices: DeviceCookies;
  events: Events;
  secondFactors: SecondFactors;
  hooks: readonly ((done: SignInDone) => Promise<void>)[];
  /** The features' checks (FeatureParts.checkSignIn): any Message refuses the sign-in. */
  checks?: readonly ((user: Express.User) => Promise<Message | undefined>)[];
  clock: Clock;
  rememberMs: number;
  /** SESSION_MAX_PER_USER: live sessions per user, this new one included. */
  maxSessionsPerUser: number;
  findUser(id: string): Promise<Express.User | undefined>;
}): SignIn {
  const { pool, devices, events } = deps;

  async function logIn(
    req: Request,
    res: Response,
    user: Express.User,
    how: { method: string; remember: boolean; newAccount: boolean },
  ) {
    await startUserSession(req, user, how.remember ? deps.rememberMs : null, {
      authenticatedAt: deps.clock(),
    });
    // Checked before this sign-in's own cookie is issued.
    const knownDevice = devices.deviceFor(req, user) !== undefined;
    const ended = await endSessionsOverLimit(pool, user.id, {
      newKey: hashStoreKey(req.sessionID),
      max: deps.maxSessionsPerUser,
    });
    if (ended > 0) {
      req.log?.info({ userId: user.id, ended }, "sessions over the limit per user ended");
      await events.record({ userId: user.id, kind: "sessions_over_limit_ended", req });
    }
    await events.record({ userId: user.id, kind: "sign_in", method: how.method, req });
    const done = { req, user, method: how.method, knownDevice, newAccount: how.newAccount };
    for (const hook of deps.hooks) await hook(done);
    devices.issue(res, user);
    req.log?.info({ userId: user.id, method: how.method }, "user logged in");
  }

  /** A feature refuses this account's sign-in (a locked account): 403, nobody logged in. */
  async function refuseIfChecked(user: Express.User) {
    for (const check of deps.checks ?? []) {
      const refused = await check(user);
      if (refused !== undefined) {
        throw refusal(403, "sign_in_refused", refused, { title: "core.signInRefused" });
      }
    }
  }

  function answer(
    req: Request,
    res: Response,
    status: number,
    user: { id: string; email: string },
    next: string,
  ) {
    if (wantsJson(req)) {
      res.status(status).json({ user: { id: user.id, email: user.email }, next });
      return;
    }
    res.redirect(303, next);
  }

  return {
    async firstFactor(req, res, user, proven) {
      await refuseIfChecked(user);
      const newAccount = proven.newAccount ?? false;
      const required = proven.bothFactors ? [] : await deps.secondFactors.requiredFor(user.id);
      const page = required.find((factor) => factor.page)?.page;
      if (page) {
        await beginSecondFactor(req, user, {
          since: deps.clock(),
          remember: proven.remember,
          next: proven.next,
          firstFactor: proven.method,
          keep: proven.keep,
        });
        req.log?.info({ userId: user.id }, "first factor accepted, second factor pending");
        if (wantsJson(req)) return void res.json({ twoFactor: page, next: page });
        return res.redirect(303, page);
      }
      await logIn(req, res, user, { method: proven.method, remember: proven.remember, newAccount });
      if (proven.keep) Object.assign(req.session, proven.keep);
      if (proven.flash) req.session.flash = proven.flash;
      answer(
        req,
        res,
        newAccount && proven.method === "password" ? 201 : 200,
        user,
        proven.next ?? "/account",
      );
    },

    takePending: (req) => claimSessionRow(deps.pool, hashStoreKey(req.sessionID)),

    // The row is gone and the store never brings a deleted session back (a revoked one must stay
    // revoked): the step goes on under a new ID, with the same deadline and form token.
    async givePendingBack(req, pending) {
      const token = req.session.csrfToken;
      await req.session.regenerate();
      req.session.twoFactor = pending;
      if (token !== undefined) req.session.csrfToken = token;
    },

    async secondFactor(req, res, pending, options = {}) {
      if (!options.taken && !(await claimSessionRow(deps.pool, hashStoreKey(req.sessionID)))) {
        return false;
      }
      const user = await deps.findUser(pending.userId);
      if (!user || user.sessionGeneration !== pending.generation) return false;
      await refuseIfChecked(user);
      await logIn(req, res, user, {
        method: `${pending.firstFactor ?? "password"}+2fa`,
        remember: pending.remember,
        newAccount: false,
      });
      if (pending.keep) Object.assign(req.session, pending.keep);
      if (options.flash) req.session.flash = options.flash;
      answer(req, res, 200, user, pending.next ?? "/account");
      return true;
    },
  };
}
