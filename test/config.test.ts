import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  ConfigError,
  DEMO_DATA_ENCRYPTION_KEY,
  DEMO_SESSION_SECRET,
  loadConfig,
  loadDatabaseConfig,
  loadEnvFile,
} from "../app/config.js";
import { makeTempDir } from "./helpers/temp-dir.js";

const SECRET = "a-test-secret-that-is-32-chars-long!";
const KEY_HEX = "00112233445566778899aabbccddeeff".repeat(2);
const PRODUCTION = {
  NODE_ENV: "production",
  SESSION_SECRET: SECRET,
  DATA_ENCRYPTION_KEY: KEY_HEX,
  DATABASE_URL: "postgres://app:pw@db.internal:5432/app",
  SMTP_URL: "smtp://mailer:pw@smtp.internal:587",
  APP_URL: "https://app.example.com",
};

// Every test gets an empty folder as its working directory, so the repo's own
// .session-secret and .env are never read or written.
let dir: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  dir = makeTempDir("config-test");
});
afterEach(() => dir.remove());

const load = (env: Record<string, string>) => loadConfig({ env, cwd: dir.path });

/** The problems a ConfigError reports, as { VARIABLE: message }. */
function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    return Object.fromEntries(problems.map((p) => [p.variable, p.message]));
  }
  throw new Error("expected a ConfigError");
}

describe("defaults (development, nothing set)", () => {
  test("every setting has a working default", () => {
    const { config } = load({});
    expect(config).toMatchObject({
      nodeEnv: "development",
      isProduction: false,
      host: "127.0.0.1",
      port: 3000,
      trustProxy: false,
      databaseUrl: undefined,
      dataDir: join(dir.path, ".data/pg"),
      sessionIdleTimeoutMs: 30 * 60_000,
      sessionRememberMs: 30 * 24 * 3_600_000,
      sessionMaxLifetimeMs: 30 * 24 * 3_600_000,
      sessionPruneIntervalMs: 15 * 60_000,
      sessionMaxPerUser: 50,
      logLevel: "info",
    });
  });

  test("empty values count as unset", () => {
    expect(load({ PORT: "", LOG_LEVEL: " " }).config).toMatchObject({
      port: 3000,
      logLevel: "info",
    });
  });
});

describe("the development session secret", () => {
  test("is generated once into .session-secret, with a warning, and reused after", () => {
    const first = load({});
    const file = join(dir.path, ".session-secret");
    const secret = readFileSync(file, "utf8").trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(first.config.sessionSecrets).toEqual([secret]);
    expect(first.warnings.join("\n")).toMatch(/SESSION_SECRET is not set: generated/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = load({});
    expect(second.config.sessionSecrets).toEqual([secret]);
    expect(second.warnings.join("\n")).toMatch(/using the development secret/);
  });

  test("is not used when SESSION_SECRET is set", () => {
    const { config, warnings } = load({ SESSION_SECRET: SECRET });
    expect(config.sessionSecrets).toEqual([SECRET]);
    expect(warnings).toEqual([]);
    expect(() => statSync(join(dir.path, ".session-secret"))).toThrow();
  });
});

describe("SESSION_SECRET", () => {
  test("several comma-separated secrets: the first signs, all verify", () => {
    const old = "an-older-secret-still-accepted-for-a-while";
    expect(load({ SESSION_SECRET: `${SECRET}, ${old}` }).config.sessionSecrets).toEqual([
      SECRET,
      old,
    ]);
  });

  test("an empty secret between commas is refused", () => {
    expect(problemsOf({ SESSION_SECRET: `${SECRET},,x` })).toHaveProperty(
      "SESSION_SECRET",
      expect.stringMatching(/empty secret/),
    );
  });

  test("a short secret is allowed in development, with a warning", () => {
    expect(load({ SESSION_SECRET: "short" }).warnings.join("\n")).toMatch(/shorter than 32/);
  });
});

describe("production", () => {
  test("a complete production configuration loads, listening on all interfaces", () => {
    const { config, warnings } = load(PRODUCTION);
    expect(config).toMatchObject({
      isProduction: true,
      host: "0.0.0.0",
      databaseUrl: PRODUCTION.DATABASE_URL,
    });
    expect(warnings).toEqual([]);
    expect(() => statSync(join(dir.path, ".session-secret"))).toThrow();
  });

  test("a missing SESSION_SECRET and DATABASE_URL are both named", () => {
    const problems = problemsOf({ NODE_ENV: "production" });
    expect(problems.SESSION_SECRET).toMatch(/required in production/);
    expect(problems.DATABASE_URL).toMatch(/required in production/);
  });

  test("every secret must be at least 32 characters, old ones included", () => {
    expect(problemsOf({ ...PRODUCTION, SESSION_SECRET: "x".repeat(31) }).SESSION_SECRET).toMatch(
      /at least 32/,
    );
    expect(problemsOf({ ...PRODUCTION, SESSION_SECRET: `${SECRET},short` }).SESSION_SECRET).toMatch(
      /at least 32/,
    );
  });

  test("the public demo secret from docker-compose.yml is refused, unless the run is marked a demo", () => {
    expect(
      problemsOf({ ...PRODUCTION, SESSION_SECRET: DEMO_SESSION_SECRET }).SESSION_SECRET,
    ).toMatch(/public demo secret from docker-compose.yml/);
    expect(
      problemsOf({ ...PRODUCTION, SESSION_SECRET: `${SECRET},${DEMO_SESSION_SECRET}` })
        .SESSION_SECRET,
    ).toMatch(/public demo secret/);
    // Marked as a demo (as the compose file does): it starts, and says what it is every time.
    const demo = load({
      ...PRODUCTION,
      SESSION_SECRET: DEMO_SESSION_SECRET,
      ALLOW_DEMO_SESSION_SECRET: "true",
    });
    expect(demo.warnings.join("\n")).toMatch(/public demo secret.*anyone can forge/);
    // The mark alone changes nothing for a real secret.
    expect(load({ ...PRODUCTION, ALLOW_DEMO_SESSION_SECRET: "true" }).warnings).toEqual([]);
  });

  test("the error message names the variable", () => {
    expect(() => load({ ...PRODUCTION, SESSION_SECRET: "short" })).toThrow(/SESSION_SECRET/);
  });
});

describe("each bad variable is reported by name", () => {
  test.each([
    ["NODE_ENV", "staging", /development/],
    ["PORT", "eighty", /whole number/],
    ["PORT", "70000", /at most 65535/],
    ["PORT", "-1", /at least 0/],
    ["TRUST_PROXY", "not-an-address", /hop count/],
    ["DATABASE_URL", "mysql://db/app", /postgres:\/\//],
    ["DATABASE_URL", "not a url", /postgres:\/\//],
    ["SESSION_IDLE_TIMEOUT_MINUTES", "0", /at least 1/],
    ["SESSION_REMEMBER_DAYS", "1.5", /whole number/],
    ["SESSION_MAX_LIFETIME_HOURS", "soon", /whole number/],
    ["SESSION_PRUNE_INTERVAL_MINUTES", "-5", /at least 0/],
    ["SESSION_MAX_PER_USER", "0", /at least 1/],
    ["SESSION_MAX_PER_USER", "many", /whole number/],
    ["SESSION_MAX_PER_USER", "20000", /at most 10000/],
    ["LOG_LEVEL", "loud", /one of/],
  ])("%s=%s", (variable, value, message) => {
    expect(problemsOf({ [variable]: value })).toEqual({
      [variable]: expect.stringMatching(message),
    });
  });

  test("all problems at once, not just the first", () => {
    expect(
      Object.keys(problemsOf({ PORT: "x", LOG_LEVEL: "loud", NODE_ENV: "production" })).sort(),
    ).toEqual([
      "APP_URL",
      "DATABASE_URL",
      "DATA_ENCRYPTION_KEY",
      "LOG_LEVEL",
      "PORT",
      "SESSION_SECRET",
      "SMTP_URL",
    ]);
  });
});

describe("mail: SMTP_URL, MAIL_FROM, APP_URL, REQUIRE_EMAIL_VERIFICATION, token lifetimes", () => {
  test("development defaults: no SMTP server (the outbox), links to localhost:PORT, 30 min / 24 h links", () => {
    const { config } = load({ PORT: "4123" });
    expect(config).toMatchObject({
      smtpUrl: undefined,
      appUrl: "http://localhost:4123",
      requireEmailVerification: false,
      passwordResetTokenMs: 30 * 60_000,
      emailTokenMs: 24 * 3_600_000,
    });
    expect(config.mailFrom).toMatch(/@/);
  });

  test("each is read from the environment; APP_URL loses a trailing slash", () => {
    const { config } = load({
      SMTP_URL: "smtps://u:p@mail.example:465",
      MAIL_FROM: "Shop <shop@example.com>",
      APP_URL: "https://shop.example/",
      REQUIRE_EMAIL_VERIFICATION: "true",
      PASSWORD_RESET_TOKEN_MINUTES: "10",
      EMAIL_TOKEN_HOURS: "2",
    });
    expect(config).toMatchObject({
      smtpUrl: "smtps://u:p@mail.example:465",
      mailFrom: "Shop <shop@example.com>",
      appUrl: "https://shop.example",
      requireEmailVerification: true,
      passwordResetTokenMs: 10 * 60_000,
      emailTokenMs: 2 * 3_600_000,
    });
  });

  test.each([
    ["SMTP_URL", "http://mail.example", /smtp:\/\//],
    ["APP_URL", "ftp://app.example", /http:\/\//],
    ["REQUIRE_EMAIL_VERIFICATION", "yes", /"true" or "false"/],
    ["PASSWORD_RESET_TOKEN_MINUTES", "0", /at least 1/],
  ])("%s=%s is refused, naming it", (variable, value, message) => {
    expect(problemsOf({ [variable]: value })).toEqual({
      [variable]: expect.stringMatching(message),
    });
  });

  test("production without SMTP_URL or APP_URL does not start, naming each", () => {
    const { SMTP_URL: _smtp, APP_URL: _app, ...rest } = PRODUCTION;
    const problems = problemsOf(rest);
    expect(Object.keys(problems).sort()).toEqual(["APP_URL", "SMTP_URL"]);
    expect(problems.SMTP_URL).toMatch(/required in production/);
    expect(problems.APP_URL).toMatch(/required in production/);
  });
});

describe("APP_NAME", () => {
  test("defaults to Session starter, which also names the default From", () => {
    const { config } = load({});
    expect(config.appName).toBe("Session starter");
    expect(config.mailFrom).toBe("Session starter <no-reply@localhost>");
  });

  test("is read trimmed, and names the default From (quoted when it needs it)", () => {
    expect(load({ APP_NAME: "  Acme  " }).config).toMatchObject({
      appName: "Acme",
      mailFrom: "Acme <no-reply@localhost>",
    });
    expect(load({ APP_NAME: 'Acme, "Inc" <b>' }).config.mailFrom).toBe(
      '"Acme, \\"Inc\\" <b>" <no-reply@localhost>',
    );
    expect(load({ APP_NAME: "Acme", MAIL_FROM: "Shop <shop@example.com>" }).config.mailFrom).toBe(
      "Shop <shop@example.com>",
    );
  });

  test.each([
    ["a".repeat(61), /at most 60/],
    ["Acme\nBcc: x@evil.test", /one line/],
  ])("APP_NAME=%j is refused, naming it", (value, message) => {
    expect(problemsOf({ APP_NAME: value })).toEqual({ APP_NAME: expect.stringMatching(message) });
  });
});

describe("DATA_ENCRYPTION_KEY", () => {
  test("32 bytes as 64 hex characters or as base64", () => {
    expect(load({ DATA_ENCRYPTION_KEY: KEY_HEX }).config.dataEncryptionKey.toString("hex")).toBe(
      KEY_HEX,
    );
    const base64 = Buffer.from(KEY_HEX, "hex").toString("base64");
    expect(load({ DATA_ENCRYPTION_KEY: base64 }).config.dataEncryptionKey.toString("hex")).toBe(
      KEY_HEX,
    );
  });

  test.each([
    ["too short", "abcd"],
    ["31 bytes", "aa".repeat(31)],
    ["a passphrase", "correct horse battery staple correct horse"],
  ])("%s is refused, by name", (_what, value) => {
    expect(problemsOf({ DATA_ENCRYPTION_KEY: value })).toEqual({
      DATA_ENCRYPTION_KEY: expect.stringMatching(/32 random bytes/),
    });
  });

  test("required in production; the ConfigError names it", () => {
    const { DATA_ENCRYPTION_KEY: _key, ...withoutKey } = PRODUCTION;
    expect(problemsOf(withoutKey).DATA_ENCRYPTION_KEY).toMatch(/required in production/);
    expect(() => load(withoutKey)).toThrow(/DATA_ENCRYPTION_KEY/);
    expect(() => statSync(join(dir.path, ".data-encryption-key"))).toThrow();
  });

  test("in development: generated once into .data-encryption-key (mode 600) and reused", () => {
    const first = load({ SESSION_SECRET: SECRET }).config.dataEncryptionKey;
    expect(first).toHaveLength(32);
    const file = join(dir.path, ".data-encryption-key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(load({ SESSION_SECRET: SECRET }).config.dataEncryptionKey.equals(first)).toBe(true);
  });

  test("the public demo key from docker-compose.yml: refused in production unless marked a demo, then a warning", () => {
    const demo = { ...PRODUCTION, DATA_ENCRYPTION_KEY: DEMO_DATA_ENCRYPTION_KEY };
    expect(problemsOf(demo).DATA_ENCRYPTION_KEY).toMatch(/public demo key/);
    const marked = load({ ...demo, ALLOW_DEMO_SESSION_SECRET: "true" });
    expect(marked.warnings.join("\n")).toMatch(/DATA_ENCRYPTION_KEY is the public demo key/);
  });
});

describe("TRUST_PROXY becomes what Express's 'trust proxy' accepts", () => {
  test.each([
    ["false", false],
    ["true", true],
    ["1", 1],
    ["2", 2],
    ["loopback", ["loopback"]],
    ["loopback, 10.0.0.0/8 ,fd00::/8", ["loopback", "10.0.0.0/8", "fd00::/8"]],
    ["203.0.113.7", ["203.0.113.7"]],
  ])("%s", (value, expected) => {
    expect(load({ TRUST_PROXY: value }).config.trustProxy).toEqual(expected);
  });

  test("a bad subnet is refused", () => {
    expect(problemsOf({ TRUST_PROXY: "10.0.0.0/99" })).toHaveProperty("TRUST_PROXY");
  });
});

test("other settings are read and converted", () => {
  const { config } = load({
    PORT: "8080",
    HOST: "0.0.0.0",
    DATA_DIR: "/var/lib/app-db",
    SESSION_IDLE_TIMEOUT_MINUTES: "5",
    SESSION_REMEMBER_DAYS: "14",
    SESSION_MAX_LIFETIME_HOURS: "12",
    SESSION_PRUNE_INTERVAL_MINUTES: "0",
    SESSION_MAX_PER_USER: "3",
    LOG_LEVEL: "debug",
    DATABASE_URL: "postgresql://u@localhost/db",
  });
  expect(config).toMatchObject({
    port: 8080,
    host: "0.0.0.0",
    dataDir: "/var/lib/app-db",
    sessionIdleTimeoutMs: 5 * 60_000,
    sessionRememberMs: 14 * 24 * 3_600_000,
    sessionMaxLifetimeMs: 12 * 3_600_000,
    sessionPruneIntervalMs: 0,
    sessionMaxPerUser: 3,
    logLevel: "debug",
    databaseUrl: "postgresql://u@localhost/db",
  });
});

describe("the database settings alone (npm run migrate)", () => {
  test("need neither a session secret nor the web settings", () => {
    const config = loadDatabaseConfig({
      env: { NODE_ENV: "production", DATABASE_URL: PRODUCTION.DATABASE_URL, PORT: "not-read" },
      cwd: dir.path,
    });
    expect(config).toEqual({
      nodeEnv: "production",
      isProduction: true,
      databaseUrl: PRODUCTION.DATABASE_URL,
      dataDir: join(dir.path, ".data/pg"),
    });
    expect(() => statSync(join(dir.path, ".session-secret"))).toThrow();
  });

  test("still require DATABASE_URL in production, naming only it", () => {
    try {
      loadDatabaseConfig({ env: { NODE_ENV: "production" }, cwd: dir.path });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(["DATABASE_URL"]);
    }
  });
});

describe(".env", () => {
  const KEY = "CONFIG_TEST_FROM_DOTENV";
  afterEach(() => {
    delete process.env[KEY];
  });

  test("is loaded when present, without overriding variables already set", () => {
    const file = join(dir.path, ".env");
    writeFileSync(file, `${KEY}=from-file\nPATH=from-file\n`);
    expect(loadEnvFile(file)).toBe(true);
    expect(process.env[KEY]).toBe("from-file");
    expect(process.env.PATH).not.toBe("from-file");
  });

  test("is optional", () => {
    expect(loadEnvFile(join(dir.path, ".env"))).toBe(false);
  });
});

describe("APP_URL", () => {
  test("APP_URL defaults to http://localhost:PORT outside production, and is required in it", () => {
    expect(load({ PORT: "4000" }).config.appUrl).toBe("http://localhost:4000");
    expect(load({ APP_URL: "https://x.example/" }).config.appUrl).toBe("https://x.example");
    const { APP_URL: _appUrl, ...withoutAppUrl } = PRODUCTION;
    expect(problemsOf(withoutAppUrl).APP_URL).toMatch(/required in production/);
  });
});
