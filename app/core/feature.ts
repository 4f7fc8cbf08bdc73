import type { Request, RequestHandler, Router } from "express";
import type pg from "pg";
import type { AddressProof } from "../auth/recovery/address-proof.js";
import type { SessionCookie } from "../auth/session-cookie.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { Views } from "../http/views.js";
import type { Message } from "../i18n/index.js";
import type { Logger } from "../logger.js";
import type { Mailer } from "../mail/mailer.js";
import type { MaintenanceTask } from "../maintenance/tasks.js";
import type { Csrf } from "../security/csrf.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import type { PasswordLimiter } from "../security/password-limits.js";
import type { EventListener, EventLog, Events } from "./events.js";
import type { Guards } from "./guards.js";
import type { PagePart } from "./page-parts.js";
import type { SecondFactor, SecondFactors } from "./second-factor.js";
import type { SignIn, SignInDone } from "./sign-in.js";
import type { SignInMethodSource, SignInMethods } from "./sign-in-methods.js";

/**
 * An optional capability: one folder under app/features/, listed once in app/features/index.ts.
 * The core calls `setup` once per app with the kit; the feature answers with what it adds. A
 * feature reaches the rest of the app only through the kit and its parts, never by importing
 * another feature's folder, so deleting its folder and its line removes it.
 */
export interface Feature {
  /** Its folder's name: app/features/<name>/, test/features/<name>/. */
  readonly name: string;
  /**
   * Checks the feature's own environment variables (`config.env`, read with `parseVariables` of
   * app/config.ts) when the server starts, before anything else does: throws a ConfigError naming
   * each bad variable. `setup` reads them again (it runs once).
   */
  checkConfig?(config: Config): void;
  /** Undefined: nothing to add with this configuration (e.g. no provider configured). */
  setup(kit: Kit): FeatureParts | undefined;
}

/** What the core offers every feature. */
export interface Kit {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  mailer: Mailer;
  clock: Clock;
  /** The core's views; `views.at(new URL("./views/", import.meta.url))` for the feature's own. */
  views: Views;
  csrf: Csrf;
  limiter: PasswordLimiter;
  devices: DeviceCookies;
  sessionCookie: SessionCookie;
  /** Private, verified-address and sudo-mode guards, declared on routes (core/guards.ts). */
  guards: Guards;
  /** The one way to finish a sign-in (core/sign-in.ts). */
  signIn: SignIn;
  /** The pending second-factor step and every feature's second factor (core/second-factor.ts). */
  secondFactors: SecondFactors;
  /** Every way to sign in an account has, counted together (core/sign-in-methods.ts). */
  signInMethods: SignInMethods;
  /**
   * The account's mailbox was just proven (a link or code mailed to its address was used, or a
   * sign-in provider vouched for it): marks the address verified and, the first time, removes
   * what was added while it was unproven and ends every session (auth/recovery/address-proof.ts),
   * as the verification link does. `password`: "remove" when the proof is a way in of its own (an
   * emailed sign-in link or code, a provider): a password set before the address was proven is
   * then someone's who may not own it.
   */
  proveAddress(
    req: Request,
    userId: string,
    options: { keepSession: boolean; password?: "keep" | "remove" },
  ): Promise<AddressProof>;
  /**
   * Mails a new verification link to the account's address, unless it is verified already: in
   * the user's saved language, else `locale`. The work runs after the answer (mailer.queue).
   */
  sendVerification(userId: string, locale?: string): void;
  /** Tells the listening features what happened to an account (core/events.ts). */
  events: Events;
  /**
   * How every feature's event kinds are said: catalogue keys, to translate with `t()` in the
   * reader's language (filled as features are set up; read per request).
   */
  eventKinds: ReadonlyMap<string, string>;
}

/** One entry in the settings navigation: where it goes and what it says. */
export interface SettingsPage {
  /** A path of its own (the entry is the current one there), or `/account#panel-id`. */
  path: string;
  label: string;
}

/** What a feature adds; every field is optional. */
export interface FeatureParts {
  /** Its routes, mounted after the core's, in the list's order. */
  routes?: Router;
  /** Its browser files, served under /static (a folder inside the feature's). */
  publicDir?: string;
  /**
   * Routes mounted before the session, the body parsers and CSRF (they never touch the session):
   * its other static files, or what a cross-site POST reaches (a provider's form_post answer).
   */
  assets?: Router;
  /** A second factor the pending sign-in step and sudo mode offer. */
  secondFactor?: SecondFactor;
  /** A way to sign in (counted so the last one cannot be removed). */
  signInMethod?: SignInMethodSource;
  /** Panels on the account page (/account) and the security page (/account/security). */
  accountSections?: PagePart[];
  securitySections?: PagePart[];
  /**
   * Entries in the settings navigation (`<nav aria-label="Settings">`), after the core's
   * (Account, Security, Sessions and devices). A page of the feature's own (its view uses
   * `layout("/settings")`), or a panel of the feature's on a core page (`/account#its-id`).
   */
  settingsPages?: SettingsPage[];
  /** Buttons under the log-in and sign-up forms ("Continue with ..."). */
  signInButtons?: PagePart[];
  /**
   * Event kinds this feature records, and how the activity trail says them: each value is a
   * catalogue key (locales/*.json), not text; whoever shows the event translates it with `t()`.
   * `<kind>:<method>` says one kind made one way
   * (`"sign_in:email_link": "emailSignIn.events.signedIn"`, "Signed in with an email link").
   */
  eventKinds?: Record<string, string>;
  /** Told about every account event. */
  onEvent?: EventListener;
  /** Where it keeps the events it is told (a user's recent ones: `kit.events.recent`). */
  eventLog?: EventLog;
  /** After every sign-in, before the device cookie is issued (the new-device notice). */
  onSignIn?: (done: SignInDone) => Promise<void>;
  /** Its cleanups for the maintenance runner. */
  maintenance?: MaintenanceTask[];
  /** Origins its forms post to (CSP form-action: a provider's sign-in page). */
  formTargets?: string[];
  /**
   * Asked before every sign-in ends (password, passkey, provider, second factor, any method: the
   * one pipeline, core/sign-in.ts): a Message (a catalogue key; neutral: it says nothing of why)
   * refuses it, with nothing logged in; undefined lets it go on.
   */
  checkSignIn?: (user: Express.User) => Promise<Message | undefined>;
  /**
   * Asked by the sudo-mode guard before every sensitive change (password, address, second
   * factors, passkeys, providers, deletion): a Message (a catalogue key) refuses it for this
   * request's session.
   */
  refuseSensitive?: (req: Request) => Message | undefined;
  /** Runs on every request after the session and the login, before any route (the core's too). */
  everyRequest?: RequestHandler;
  /** Shown at the top of every page (above the flash message), when they render something. */
  banners?: PagePart[];
  /**
   * Where logging out sends the browser instead of the login page (a provider's end-session
   * page: RP-initiated logout), asked while the session is still there; the first answer wins.
   */
  logoutRedirect?: (req: Request) => Promise<string | undefined>;
}
