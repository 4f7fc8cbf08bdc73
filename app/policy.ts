/**
 * The app's policy numbers, in one place: how long a step may take, how many of a thing an
 * account may hold, how many attempts a window allows. Settings a deployment changes are
 * environment variables (app/config.ts); these are the decisions behind the code, changed here
 * (and the README's words about them) when the policy changes. Behaviour follows from these
 * values only: the modules import them and hard-code none.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** Sudo mode: sensitive changes need a login or a confirmation within this long (app/auth/sudo.ts). */
export const SUDO_WINDOW_MS = 10 * MINUTE;

/**
 * The pending second factor: after the right password, how long the browser has to give the code
 * (or a passkey) before the password is asked again (app/auth/two-factor/pending.ts).
 */
export const PENDING_SECOND_FACTOR_MS = 5 * MINUTE;

/** A WebAuthn challenge (sign-in, registration, second factor, confirmation) works this long. */
export const PASSKEY_CHALLENGE_MS = 5 * MINUTE;

/** The device cookie (this browser logged in to this account before) lasts this long. */
export const DEVICE_COOKIE_MAX_AGE_MS = 365 * DAY;

/**
 * A rolling session's new expiry is written to the store at most this often (touchAfter), and
 * never less often than a tenth of the idle timeout (app/app.ts).
 */
export const SESSION_TOUCH_AFTER_MS = MINUTE;

/** Passkeys one account may hold: enough for every device, and a bound on what it stores. */
export const MAX_PASSKEYS = 20;

/** Recovery codes made at a time (each 80 random bits, each works once). */
export const RECOVERY_CODE_COUNT = 10;

/**
 * Attempts per window, counted in Postgres before any work (app/security/password-limits.ts;
 * tests pass other numbers through createApp's `loginLimits`).
 */
export const LIMITS = {
  /** The window every limit below counts in. */
  windowSeconds: 15 * 60,
  /** Login attempts from one IP address (browsers without a device cookie). */
  perIp: 20,
  /** Login attempts for one account, from browsers without its device cookie. */
  perAccount: 5,
  /** Login attempts from one browser holding the account's device cookie (its own lane). */
  perDevice: 10,
  /** Sign-ups (each an argon2 hash) from one IP address. */
  registerPerIp: 10,
  /** Checks of a logged-in user's current password. */
  currentPasswordPerUser: 5,
  /** Mails (reset, verification, change of address) to one address. */
  mailsPerAddress: 3,
  /** Mails about one account (an unknown address counts as its own account). */
  mailsPerAccount: 3,
  /** Second-factor codes (TOTP or recovery) for one account. */
  secondFactorPerUser: 5,
  /** Second-factor codes from one browser holding the account's device cookie. */
  secondFactorPerDevice: 5,
  /** Passkey sign-ins begun from one IP address (each keeps a challenge in a session). */
  passkeySignInsPerIp: 100,
} as const;
