import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkFeatureConfig } from "../../../app/app.js";
import { ConfigError } from "../../../app/config.js";
import { providers } from "../../../app/features/providers/index.js";
import { readSettings } from "../../../app/features/providers/settings.js";
import { makeTempDir } from "../../helpers/temp-dir.js";
import { testConfig } from "../../helpers/test-config.js";

/**
 * The providers' variables belong to the feature (Feature.checkConfig): a bad one stops the
 * server before it starts, named with what is wrong, as the core's are.
 */

const OIDC = {
  OIDC_ISSUER: "https://id.example.com",
  OIDC_CLIENT_ID: "client",
  OIDC_CLIENT_SECRET: "secret",
  OIDC_NAME: "Example ID",
};
const PRODUCTION = { NODE_ENV: "production", DATABASE_URL: "postgres://app@db.internal/app" };

const settings = (env: Record<string, string>) => readSettings(testConfig(env));

/** The problems the server would print at start-up, as { VARIABLE: message }. */
function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    checkFeatureConfig(testConfig(env), [providers]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).problems.map((p) => [p.variable, p.message]));
  }
  throw new Error("expected a ConfigError");
}

const keys = (env: Record<string, string>) => settings(env).providers.map((p) => p.key);

describe("the generic OpenID Connect providers", () => {
  test("no OIDC_*: no provider; all four: the provider 'oidc', today's routes", () => {
    expect(settings({}).providers).toEqual([]);
    expect(settings(OIDC).providers).toMatchObject([
      { type: "oidc", key: "oidc", name: "Example ID", clientId: "client", logout: false },
    ]);
  });

  test("some OIDC_* but not all: the missing ones are named", () => {
    const problems = problemsOf({ OIDC_ISSUER: OIDC.OIDC_ISSUER, OIDC_NAME: "X" });
    expect(Object.keys(problems).sort()).toEqual(["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"]);
    expect(problems.OIDC_CLIENT_ID).toMatch(/required with OIDC_ISSUER, OIDC_NAME/);
  });

  test("an http:// issuer only on this machine, and never in production", () => {
    expect(keys({ ...OIDC, OIDC_ISSUER: "http://127.0.0.1:9000" })).toEqual(["oidc"]);
    expect(keys({ ...OIDC, OIDC_ISSUER: "http://localhost:9000" })).toEqual(["oidc"]);
    expect(problemsOf({ ...OIDC, OIDC_ISSUER: "http://id.example.com" }).OIDC_ISSUER).toMatch(
      /http:\/\/ on localhost or 127.0.0.1 outside production/,
    );
    expect(
      problemsOf({ ...PRODUCTION, ...OIDC, OIDC_ISSUER: "http://127.0.0.1:9000" }).OIDC_ISSUER,
    ).toMatch(/must be https:\/\/ in production/);
    expect(keys({ ...PRODUCTION, ...OIDC })).toEqual(["oidc"]);
    expect(problemsOf({ ...OIDC, OIDC_ISSUER: "not a url" }).OIDC_ISSUER).toMatch(/URL/);
  });

  test("OIDC_<ID>_* are as many more, keyed by <ID> in lower case, beside the unprefixed one", () => {
    const env = {
      ...OIDC,
      OIDC_GITLAB_ISSUER: "https://gitlab.com",
      OIDC_GITLAB_CLIENT_ID: "gl-client",
      OIDC_GITLAB_CLIENT_SECRET: "gl-secret",
      OIDC_GITLAB_NAME: "GitLab",
      OIDC_KC2_ISSUER: "https://sso.example.com/realms/staff",
      OIDC_KC2_CLIENT_ID: "kc",
      OIDC_KC2_CLIENT_SECRET: "kc-secret",
      OIDC_KC2_NAME: "Staff SSO",
      OIDC_KC2_LOGOUT: "true",
    };
    expect(settings(env).providers).toMatchObject([
      { key: "oidc", name: "Example ID" },
      { key: "gitlab", name: "GitLab", clientId: "gl-client", logout: false },
      { key: "kc2", name: "Staff SSO", logout: true },
    ]);
    const { OIDC_KC2_NAME: _name, ...withoutName } = env;
    expect(Object.keys(problemsOf(withoutName))).toEqual(["OIDC_KC2_NAME"]);
    expect(problemsOf({ ...env, OIDC_KC2_LOGOUT: "yes" }).OIDC_KC2_LOGOUT).toBe(
      'must be "true" or "false"',
    );
    expect(problemsOf({ ...env, OIDC_GITLAB_NAME: "x".repeat(41) }).OIDC_GITLAB_NAME).toBe(
      "must be at most 40 characters",
    );
  });
});

describe("the built-in providers", () => {
  test("GitHub: both variables or none; github.com and its API unless overridden", () => {
    expect(settings({ GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s" }).providers).toMatchObject(
      [
        {
          key: "github",
          name: "GitHub",
          baseUrl: new URL("https://github.com"),
          apiUrl: new URL("https://api.github.com"),
        },
      ],
    );
    expect(Object.keys(problemsOf({ GITHUB_CLIENT_ID: "id" }))).toEqual(["GITHUB_CLIENT_SECRET"]);
    const enterprise = settings({
      GITHUB_CLIENT_ID: "id",
      GITHUB_CLIENT_SECRET: "s",
      GITHUB_BASE_URL: "https://ghe.example.com",
      GITHUB_API_URL: "https://ghe.example.com/api/v3",
    }).providers[0];
    expect(enterprise).toMatchObject({ apiUrl: new URL("https://ghe.example.com/api/v3") });
    expect(
      problemsOf({
        GITHUB_CLIENT_ID: "id",
        GITHUB_CLIENT_SECRET: "s",
        GITHUB_API_URL: "http://api.example.com",
      }).GITHUB_API_URL,
    ).toMatch(/must be https:\/\//);
  });

  test("Google and Microsoft: their issuers, the tenant 'common' unless set", () => {
    expect(
      settings({
        GOOGLE_CLIENT_ID: "g",
        GOOGLE_CLIENT_SECRET: "gs",
        MICROSOFT_CLIENT_ID: "m",
        MICROSOFT_CLIENT_SECRET: "ms",
      }).providers,
    ).toMatchObject([
      { key: "google", name: "Google", issuer: new URL("https://accounts.google.com") },
      {
        key: "microsoft",
        name: "Microsoft",
        tenant: "common",
        baseUrl: new URL("https://login.microsoftonline.com"),
      },
    ]);
    const single = { MICROSOFT_CLIENT_ID: "m", MICROSOFT_CLIENT_SECRET: "ms" };
    expect(
      settings({ ...single, MICROSOFT_TENANT: "contoso.onmicrosoft.com" }).providers[0],
    ).toMatchObject({ tenant: "contoso.onmicrosoft.com" });
    expect(problemsOf({ ...single, MICROSOFT_TENANT: "../common" }).MICROSOFT_TENANT).toMatch(
      /tenant ID/,
    );
  });

  test("Apple: the .p8 key as PEM text (newlines as \\n too) or as the path to the file", () => {
    const dir = makeTempDir("apple-key");
    try {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
      const file = join(dir.path, "AuthKey_ABC123.p8");
      writeFileSync(file, pem);
      const apple = {
        APPLE_CLIENT_ID: "com.example.web",
        APPLE_TEAM_ID: "TEAM",
        APPLE_KEY_ID: "K",
      };
      for (const key of [pem, pem.replaceAll("\n", "\\n"), file]) {
        expect(settings({ ...apple, APPLE_PRIVATE_KEY: key }).providers).toMatchObject([
          {
            key: "apple",
            name: "Apple",
            teamId: "TEAM",
            baseUrl: new URL("https://appleid.apple.com"),
          },
        ]);
      }
      expect(problemsOf({ ...apple, APPLE_PRIVATE_KEY: join(dir.path, "none.p8") })).toEqual({
        APPLE_PRIVATE_KEY:
          "must be the .p8 key's text (-----BEGIN PRIVATE KEY-----...) or the path to it",
      });
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      const rsaPem = rsa.export({ format: "pem", type: "pkcs8" }).toString();
      expect(problemsOf({ ...apple, APPLE_PRIVATE_KEY: rsaPem }).APPLE_PRIVATE_KEY).toMatch(
        /not a P-256 \(ES256\) private key/,
      );
      expect(Object.keys(problemsOf({ APPLE_CLIENT_ID: "x" })).sort()).toEqual([
        "APPLE_KEY_ID",
        "APPLE_PRIVATE_KEY",
        "APPLE_TEAM_ID",
      ]);
    } finally {
      dir.remove();
    }
  });

  test("two providers on one key are refused: OIDC_GITHUB_* beside GITHUB_*", () => {
    const problems = problemsOf({
      GITHUB_CLIENT_ID: "id",
      GITHUB_CLIENT_SECRET: "s",
      OIDC_GITHUB_ISSUER: "https://github.example",
      OIDC_GITHUB_CLIENT_ID: "c",
      OIDC_GITHUB_CLIENT_SECRET: "s",
      OIDC_GITHUB_NAME: "Other",
    });
    expect(problems.OIDC_GITHUB_ISSUER).toMatch(/"github", which is already configured/);
  });
});

test("AUTH_TRUSTED_PROVIDERS names configured providers only", () => {
  const env = { ...OIDC, GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s" };
  expect([...settings({ ...env, AUTH_TRUSTED_PROVIDERS: "GitHub, oidc" }).trusted]).toEqual([
    "github",
    "oidc",
  ]);
  expect(settings(env).trusted.size).toBe(0);
  expect(problemsOf({ ...env, AUTH_TRUSTED_PROVIDERS: "github,gogle" })).toEqual({
    AUTH_TRUSTED_PROVIDERS:
      'names "gogle", which is not a configured provider (configured: github, oidc)',
  });
});
