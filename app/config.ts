import { existsSync } from "node:fs";
import { resolve } from "node:path";
import proxyaddr from "proxy-addr";
import { z } from "zod";
import { developmentSecret } from "./dev-secret.js";

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];
export const logFormats = ["auto", "json", "pretty"] as const;
export type LogFormat = (typeof logFormats)[number];

/** What Express's `app.set("trust proxy", ...)` accepts, minus the function form. */
export type TrustProxy = boolean | number | string[];

export interface Config {
  /** The app's name: the layout, page titles, mails' From and sign-off, TOTP issuer, passkey RP name. */
  appName: string;
  nodeEnv: "development" | "production" | "test";
  isProduction: boolean;
  host: string;
  port: number;
  trustProxy: TrustProxy;
  /** Unset: the app runs its own embedded Postgres in `dataDir`. */
  databaseUrl: string | undefined;
  /** Absolute path of the embedded database folder. */
  dataDir: string;
  /** The first signs session cookies; every one verifies them (rotation). */
  sessionSecrets: string[];
  sessionIdleTimeoutMs: number;
  sessionRememberMs: number;
  sessionMaxLifetimeMs: number;
  /** AES-256-GCM key for secrets at rest (TOTP): 32 bytes (app/security/secrets-at-rest.ts). */
  dataEncryptionKey: Buffer;
  /** How often the maintenance runner deletes expired sessions; 0: never (app/maintenance/). */
  sessionPruneIntervalMs: number;
  /** Live sessions one user may have; a new login ends the oldest beyond it. */
  sessionMaxPerUser: number;
  /** Security events older than this are deleted (app/maintenance/tasks.ts). */
  activityRetentionDays: number;
  logLevel: LogLevel;
  /** JSON lines, or one readable line each; "auto": readable in development on a terminal. */
  logFormat: LogFormat;
  /** Unset (development only): mails go to the development outbox at GET /dev/mail. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Private pages other than the account page wait until the address is verified. */
  requireEmailVerification: boolean;
  passwordResetTokenMs: number;
  /** Verification and change-of-address links. */
  emailTokenMs: number;
  /** The public base URL (links in mails, a sign-in provider's redirect URI), without a trailing slash. */
  appUrl: string;
  /**
   * Every variable the config was read from (empty ones left out), for the features' own settings:
   * a feature reads its variables with `parseVariables` (below), in `checkConfig` and in `setup`.
   */
  env: Readonly<Record<string, string>>;
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`,
    );
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  config: Config;
  /** Things worth a log line once a logger exists. */
  warnings: string[];
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Where relative paths (DATA_DIR, .session-secret) are resolved. */
  cwd?: string;
}

const MIN_PRODUCTION_SECRET_LENGTH = 32;

/**
 * The SESSION_SECRET docker-compose.yml falls back to. It is public (it is in the repository), so
 * anyone could sign session cookies with it: production refuses it unless the compose file marks
 * the run as a demo (ALLOW_DEMO_SESSION_SECRET=true), and then every start warns.
 */
export const DEMO_SESSION_SECRET = "demo-only-session-secret-set-SESSION_SECRET-in-.env";
const usesDemoSecret = (value: string | undefined) =>
  value?.split(",").some((secret) => secret.trim() === DEMO_SESSION_SECRET) ?? false;
/**
 * The DATA_ENCRYPTION_KEY docker-compose.yml falls back to: public, so accepted in production
 * only with ALLOW_DEMO_SESSION_SECRET=true (the compose file's demo mark), with a warning.
 */
export const DEMO_DATA_ENCRYPTION_KEY = "ZGVtby1vbmx5LWtleS1zZXQtREFUQV9FTkNSWVBUSU8=";
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;

const wholeNumber = (min: number, fallback: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min}` })
    .default(fallback);

const TRUST_PROXY_HELP =
  "must be true, false, a hop count (1), or a comma-separated list of addresses, subnets or names (loopback, linklocal, uniquelocal)";

function parseTrustProxy(value: string): TrustProxy {
  const trimmed = value.trim();
  if (/^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === "true";
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const list = trimmed
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  // Express hands this list to proxy-addr on its first request; compiling it now fails at start-up instead.
  proxyaddr.compile(list);
  return list;
}

const ENCRYPTION_KEY_HELP =
  "must be 32 random bytes as 64 hex characters or as base64 (openssl rand -base64 32)";

/** 32 bytes written as 64 hex characters, or as base64 / base64url (44 or 43 characters). */
function parseEncryptionKey(value: string): Buffer | undefined {
  const trimmed = value.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, "base64");
  return key.length === 32 ? key : undefined;
}

/** The default APP_NAME: the only place the name is written. */
export const DEFAULT_APP_NAME = "Session starter";

/**
 * A display name as a mail header's phrase: as it is when it is only atoms and spaces, else
 * quoted (backslash before `"` and `\`), so a name with `<`, `,` or `"` cannot change the address.
 */
export function mailDisplayName(name: string): string {
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
  return `"${name.replace(/["\\]/g, "\\$&")}"`;
}

const envSchema = z.object({
  APP_NAME: z
    .string()
    .transform((value) => value.trim())
    .pipe(
      z
        .string()
        .min(1, { error: "must not be empty" })
        .max(60, { error: "must be at most 60 characters" })
        // It goes into mail headers and the TOTP URI: one line, no control characters.
        .regex(/^[^\p{Cc}]+$/u, { error: "must be one line, without control characters" }),
    )
    .default(DEFAULT_APP_NAME),
  NODE_ENV: z
    .enum(["development", "production", "test"], {
      error: 'must be "development", "production" or "test"',
    })
    .default("development"),
  PORT: wholeNumber(0, 3000).pipe(z.number().max(65535, { error: "must be at most 65535" })),
  HOST: z.string().optional(),
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return false;
      try {
        return parseTrustProxy(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `${TRUST_PROXY_HELP} (${String(error)})` });
        return z.NEVER;
      }
    }),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  DATA_DIR: z.string().default(".data/pg"),
  SESSION_SECRET: z
    .string()
    .transform((value) => value.split(",").map((secret) => secret.trim()))
    .pipe(z.array(z.string().min(1, { error: "has an empty secret between commas" })))
    .optional(),
  DATA_ENCRYPTION_KEY: z
    .string()
    .transform((value, ctx) => {
      const key = parseEncryptionKey(value);
      if (key) return key;
      ctx.addIssue({ code: "custom", message: ENCRYPTION_KEY_HELP });
      return z.NEVER;
    })
    .optional(),
  SESSION_IDLE_TIMEOUT_MINUTES: wholeNumber(1, 30),
  SESSION_REMEMBER_DAYS: wholeNumber(1, 30),
  SESSION_MAX_LIFETIME_HOURS: wholeNumber(1, 24 * 30),
  SESSION_PRUNE_INTERVAL_MINUTES: wholeNumber(0, 15),
  SESSION_MAX_PER_USER: wholeNumber(1, 50).pipe(
    z.number().max(10_000, { error: "must be at most 10000" }),
  ),
  ACTIVITY_RETENTION_DAYS: wholeNumber(1, 90),
  LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` }).default("info"),
  LOG_FORMAT: z
    .enum(logFormats, { error: `must be one of ${logFormats.join(", ")}` })
    .default("auto"),
  APP_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  ALLOW_DEMO_SESSION_SECRET: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false"),
  SMTP_URL: z
    .url({
      protocol: /^smtps?$/,
      error: "must be an smtp:// or smtps:// URL (smtp://user:password@host:587)",
    })
    .optional(),
  MAIL_FROM: z.string().max(320, { error: "must be at most 320 characters" }).optional(),
  REQUIRE_EMAIL_VERIFICATION: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false"),
  PASSWORD_RESET_TOKEN_MINUTES: wholeNumber(1, 30),
  EMAIL_TOKEN_HOURS: wholeNumber(1, 24),
});

type Env = Record<string, string>;

// `FOO=` in a .env file means "not set", as it does for most tools.
function withoutEmpty(env: NodeJS.ProcessEnv): Env {
  const result: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") result[key] = value;
  }
  return result;
}

const PRODUCTION_RULES: Record<
  "SESSION_SECRET" | "DATABASE_URL" | "SMTP_URL" | "APP_URL" | "DATA_ENCRYPTION_KEY",
  (value: string | undefined, env: Env) => string | undefined
> = {
  SESSION_SECRET: (value, env) => {
    if (usesDemoSecret(value) && env.ALLOW_DEMO_SESSION_SECRET !== "true") {
      return "is the public demo secret from docker-compose.yml: anyone could forge sessions with it. Set your own in .env (openssl rand -base64 48)";
    }
    if (value === undefined) {
      return `required in production: one or more comma-separated random strings of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters`;
    }
    if (value.split(",").some((s) => s.trim().length < MIN_PRODUCTION_SECRET_LENGTH)) {
      return `each secret must be at least ${MIN_PRODUCTION_SECRET_LENGTH} characters in production`;
    }
    return undefined;
  },
  DATABASE_URL: (value) =>
    value === undefined
      ? "required in production (postgres://user:password@host:5432/database)"
      : undefined,
  SMTP_URL: (value) =>
    value === undefined
      ? "required in production: mails (password reset, verification) are sent through it (smtp://user:password@host:587 or smtps://...)"
      : undefined,
  APP_URL: (value) =>
    value === undefined
      ? "required in production: the public base URL, e.g. https://app.example.com"
      : undefined,
  DATA_ENCRYPTION_KEY: (value, env) => {
    if (value === undefined)
      return `required in production: it encrypts TOTP secrets; ${ENCRYPTION_KEY_HELP}`;
    if (value.trim() === DEMO_DATA_ENCRYPTION_KEY && env.ALLOW_DEMO_SESSION_SECRET !== "true") {
      return "is the public demo key from docker-compose.yml: set your own in .env (openssl rand -base64 32)";
    }
    return undefined;
  },
};

/**
 * A feature's variables, validated by its own schema: the values, or a ConfigError naming each bad
 * variable (the server prints them and exits before anything starts, as for the core's).
 */
export function parseVariables<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string>>,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0]),
      message: issue.message,
    })),
  );
}

/** Validates `env` against `schema` (and, in production, the rules for the variables it has). */
function parseEnv<S extends z.ZodObject>(schema: S, env: Env): z.output<S> {
  const parsed = schema.safeParse(env);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0]),
        message: issue.message,
      }));
  if (env.NODE_ENV === "production") {
    for (const [variable, rule] of Object.entries(PRODUCTION_RULES)) {
      const message = variable in schema.shape ? rule(env[variable], env) : undefined;
      if (message) problems.push({ variable, message });
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

export type DatabaseConfig = Pick<Config, "nodeEnv" | "isProduction" | "databaseUrl" | "dataDir">;

/**
 * Only what reaching the database takes (NODE_ENV, DATABASE_URL, DATA_DIR), for tools such as
 * `npm run migrate` that must not need the web server's settings.
 */
export function loadDatabaseConfig(options: LoadConfigOptions = {}): DatabaseConfig {
  const env = withoutEmpty(options.env ?? process.env);
  const vars = parseEnv(
    envSchema.pick({ NODE_ENV: true, DATABASE_URL: true, DATA_DIR: true }),
    env,
  );
  return {
    nodeEnv: vars.NODE_ENV,
    isProduction: vars.NODE_ENV === "production",
    databaseUrl: vars.DATABASE_URL,
    dataDir: resolve(options.cwd ?? process.cwd(), vars.DATA_DIR),
  };
}

/** Reads every setting from the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = withoutEmpty(options.env ?? process.env);
  const cwd = options.cwd ?? process.cwd();
  const vars = parseEnv(envSchema, env);
  const isProduction = vars.NODE_ENV === "production";
  const warnings: string[] = [];

  let sessionSecrets = vars.SESSION_SECRET;
  if (sessionSecrets === undefined) {
    const dev = developmentSecret(cwd);
    sessionSecrets = [dev.secret];
    warnings.push(
      `SESSION_SECRET is not set: ${dev.generated ? "generated a development secret in" : "using the development secret from"} ${dev.file}. Set SESSION_SECRET in production.`,
    );
  } else if (isProduction && usesDemoSecret(env.SESSION_SECRET)) {
    warnings.push(
      "SESSION_SECRET is the public demo secret from docker-compose.yml (ALLOW_DEMO_SESSION_SECRET=true): anyone can forge a session cookie. For a demo only: set your own SESSION_SECRET in .env.",
    );
  } else if (sessionSecrets.some((s) => s.length < MIN_PRODUCTION_SECRET_LENGTH)) {
    warnings.push(
      `SESSION_SECRET: secrets shorter than ${MIN_PRODUCTION_SECRET_LENGTH} characters would be refused in production.`,
    );
  }

  let dataEncryptionKey = vars.DATA_ENCRYPTION_KEY;
  if (dataEncryptionKey === undefined) {
    // Not in production (required there): made once, kept in a git-ignored file.
    const dev = developmentSecret(cwd, ".data-encryption-key");
    dataEncryptionKey = Buffer.from(dev.secret, "base64url");
  } else if (isProduction && env.DATA_ENCRYPTION_KEY?.trim() === DEMO_DATA_ENCRYPTION_KEY) {
    warnings.push(
      "DATA_ENCRYPTION_KEY is the public demo key from docker-compose.yml (ALLOW_DEMO_SESSION_SECRET=true): anyone can decrypt the TOTP secrets in a copy of the database. For a demo only: set your own DATA_ENCRYPTION_KEY in .env.",
    );
  }

  return {
    config: {
      appName: vars.APP_NAME,
      nodeEnv: vars.NODE_ENV,
      isProduction,
      host: vars.HOST ?? (isProduction ? "0.0.0.0" : "127.0.0.1"),
      port: vars.PORT,
      trustProxy: vars.TRUST_PROXY,
      databaseUrl: vars.DATABASE_URL,
      dataDir: resolve(cwd, vars.DATA_DIR),
      sessionSecrets,
      dataEncryptionKey,
      sessionIdleTimeoutMs: vars.SESSION_IDLE_TIMEOUT_MINUTES * MS_PER_MINUTE,
      sessionRememberMs: vars.SESSION_REMEMBER_DAYS * MS_PER_DAY,
      sessionMaxLifetimeMs: vars.SESSION_MAX_LIFETIME_HOURS * MS_PER_HOUR,
      sessionPruneIntervalMs: vars.SESSION_PRUNE_INTERVAL_MINUTES * MS_PER_MINUTE,
      sessionMaxPerUser: vars.SESSION_MAX_PER_USER,
      activityRetentionDays: vars.ACTIVITY_RETENTION_DAYS,
      logLevel: vars.LOG_LEVEL,
      logFormat: vars.LOG_FORMAT,
      smtpUrl: vars.SMTP_URL,
      mailFrom: vars.MAIL_FROM ?? `${mailDisplayName(vars.APP_NAME)} <no-reply@localhost>`,
      requireEmailVerification: vars.REQUIRE_EMAIL_VERIFICATION === "true",
      passwordResetTokenMs: vars.PASSWORD_RESET_TOKEN_MINUTES * MS_PER_MINUTE,
      emailTokenMs: vars.EMAIL_TOKEN_HOURS * MS_PER_HOUR,
      appUrl: (vars.APP_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, ""),
      env,
    },
    warnings,
  };
}

/** Loads `.env` into process.env if there is one; variables already set win. */
export function loadEnvFile(path = resolve(process.cwd(), ".env")): boolean {
  if (!existsSync(path)) return false;
  process.loadEnvFile(path);
  return true;
}
