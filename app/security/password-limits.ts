import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { LIMITS } from "../policy.js";

/**
 * One limiter for every password check (log in, sign up, the current password before a change,
 * and whatever checks a password later): each attempt is counted *before* the password is
 * hashed, atomically in Postgres (rate-limiter-flexible's insert-or-increment), so any number
 * of attempts at once get no more password checks than the limit, on every app instance.
 */
export interface PasswordLimitOptions {
  /** Login attempts from one IP address per window (browsers without a device cookie). */
  perIp: number;
  /** Login attempts for one account per window, from browsers without its device cookie. */
  perAccount: number;
  /** Login attempts per window from one browser holding the account's device cookie. */
  perDevice: number;
  /** Sign-ups (each an argon2 hash) from one IP address per window. */
  registerPerIp: number;
  /** Checks of a logged-in user's current password per window. */
  currentPasswordPerUser: number;
  /** Mails (reset, verification, change of address) to one address per window. */
  mailsPerAddress: number;
  /** Mails about one account per window (an unknown address counts as its own account). */
  mailsPerAccount: number;
  /** Second-factor codes (TOTP or recovery) checked for one account per window. */
  secondFactorPerUser: number;
  /** Second-factor codes per window from one browser holding the account's device cookie. */
  secondFactorPerDevice: number;
  /** Passkey sign-ins begun from one IP address per window (each keeps a challenge in a session). */
  passkeySignInsPerIp: number;
  windowSeconds: number;
}

/** The numbers are policy: app/policy.ts. */
export const defaultPasswordLimits: PasswordLimitOptions = { ...LIMITS };

/** What a counter said of one attempt. */
export type Attempt =
  | {
      allowed: true /** Gives the attempt back (after a right password). */;
      giveBack(): Promise<void>;
    }
  | { allowed: false; retryAfterSeconds: number };

/** A named counter: `take(key)` counts one attempt against that key. */
export interface Counter {
  take(key: string): Promise<Attempt>;
}

/** The counters the routes use, each keyed by what it limits. */
export interface PasswordLimiter {
  loginByIp: Counter;
  loginByAccount: Counter;
  loginByDevice: Counter;
  registerByIp: Counter;
  currentPasswordByUser: Counter;
  mailByAddress: Counter;
  mailByAccount: Counter;
  secondFactorByUser: Counter;
  secondFactorByDevice: Counter;
  passkeySignInByIp: Counter;
}

/**
 * rate-limiter-flexible names its prepared statements. The embedded Postgres is one backend
 * behind every connection, so after the Pool replaces a connection the names already exist
 * there ("prepared statement ... already exists"). Unnamed statements cost a parse, no more.
 */
function unnamedStatements(pool: pg.Pool) {
  return {
    query(config: pg.QueryConfig) {
      const { name: _name, ...unnamed } = config;
      return pool.query(unnamed);
    },
  };
}

const retryAfterSeconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

function counter(pool: pg.Pool, keyPrefix: string, points: number, duration: number): Counter {
  const limiter = new RateLimiterPostgres({
    storeClient: unnamedStatements(pool),
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    // Each instance would delete expired rows on its own 5-minute timer, nine at once: the
    // maintenance runner sweeps them instead, once, in batches (app/maintenance/tasks.ts).
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration,
  });
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (error) {
        // Over the limit, consume() rejects with a RateLimiterRes: the expected refusal.
        if (error instanceof RateLimiterRes) {
          return { allowed: false, retryAfterSeconds: retryAfterSeconds(error) };
        }
        throw error;
      }
      return {
        allowed: true,
        giveBack: async () => {
          await limiter.reward(key, 1);
        },
      };
    },
  };
}

export function createPasswordLimiter(
  pool: pg.Pool,
  options: Partial<PasswordLimitOptions> = {},
): PasswordLimiter {
  const limits = { ...defaultPasswordLimits, ...options };
  const window = limits.windowSeconds;
  return {
    loginByIp: counter(pool, "login_ip", limits.perIp, window),
    loginByAccount: counter(pool, "login_account", limits.perAccount, window),
    loginByDevice: counter(pool, "login_device", limits.perDevice, window),
    registerByIp: counter(pool, "register_ip", limits.registerPerIp, window),
    currentPasswordByUser: counter(pool, "current_password", limits.currentPasswordPerUser, window),
    mailByAddress: counter(pool, "mail_address", limits.mailsPerAddress, window),
    mailByAccount: counter(pool, "mail_account", limits.mailsPerAccount, window),
    secondFactorByUser: counter(pool, "second_factor", limits.secondFactorPerUser, window),
    secondFactorByDevice: counter(
      pool,
      "second_factor_device",
      limits.secondFactorPerDevice,
      window,
    ),
    passkeySignInByIp: counter(pool, "passkey_ip", limits.passkeySignInsPerIp, window),
  };
}

/**
 * Counts one attempt on every (counter, key) pair. Allowed only if every counter allows it; when
 * one refuses, the others get their attempt back, so a refused request costs no one anything.
 */
export async function takeAll(pairs: Array<[Counter, string]>): Promise<Attempt> {
  const attempts = await Promise.all(pairs.map(([c, key]) => c.take(key)));
  const refused = attempts.filter((a) => !a.allowed);
  const allowed = attempts.filter((a) => a.allowed);
  if (refused.length > 0) {
    await Promise.all(allowed.map((a) => a.giveBack()));
    return {
      allowed: false,
      retryAfterSeconds: Math.max(...refused.map((a) => a.retryAfterSeconds)),
    };
  }
  return {
    allowed: true,
    giveBack: async () => {
      await Promise.all(allowed.map((a) => a.giveBack()));
    },
  };
}
