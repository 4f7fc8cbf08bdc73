import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";

export interface LoginLimitOptions {
  /** Failed logins allowed from one IP address per window. */
  perIp: number;
  /** Failed logins allowed for one account (email) per window, from anywhere. */
  perAccount: number;
  windowSeconds: number;
}

export const defaultLoginLimits: LoginLimitOptions = {
  perIp: 20,
  perAccount: 5,
  windowSeconds: 15 * 60,
};

export interface LoginLimiter {
  /** Seconds until another attempt is allowed, or 0 when the attempt may go ahead. */
  retryAfter(ip: string, email: string): Promise<number>;
  failed(ip: string, email: string): Promise<void>;
  succeeded(email: string): Promise<void>;
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

/**
 * Counts failed logins per IP and per account in Postgres (rate-limiter-flexible), so the limits
 * hold across every app instance behind the proxy.
 */
export function createLoginLimiter(
  pool: pg.Pool,
  options: LoginLimitOptions = defaultLoginLimits,
): LoginLimiter {
  const common = {
    storeClient: unnamedStatements(pool),
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
  };
  const byIp = new RateLimiterPostgres({
    ...common,
    keyPrefix: "login_ip",
    points: options.perIp,
    duration: options.windowSeconds,
  });
  const byAccount = new RateLimiterPostgres({
    ...common,
    keyPrefix: "login_account",
    points: options.perAccount,
    duration: options.windowSeconds,
  });
  const accountKey = (email: string) => email.trim().toLowerCase();

  const waitFor = (res: RateLimiterRes | null, limit: number) =>
    res && res.consumedPoints >= limit ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;

  return {
    async retryAfter(ip, email) {
      const [ipRes, accountRes] = await Promise.all([
        byIp.get(ip),
        byAccount.get(accountKey(email)),
      ]);
      return Math.max(waitFor(ipRes, options.perIp), waitFor(accountRes, options.perAccount));
    },
    async failed(ip, email) {
      // Over the limit, consume() rejects with a RateLimiterRes: that is the expected case here.
      const swallowLimit = (error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      };
      await Promise.all([
        byIp.consume(ip).catch(swallowLimit),
        byAccount.consume(accountKey(email)).catch(swallowLimit),
      ]);
    },
    async succeeded(email) {
      await byAccount.delete(accountKey(email));
    },
  };
}
