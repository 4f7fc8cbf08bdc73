import { createPrivateKey, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { type Config, ConfigError, type ConfigProblem, parseVariables } from "../../config.js";

/** A sign-in (the trip to the provider and back) must end within this. */
export const FLOW_MS = 10 * 60_000;

/**
 * The providers this deployment offers, read from its environment variables, each only when all
 * of its variables are set:
 *
 * - `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET` (GitHub Enterprise, tests: `GITHUB_BASE_URL`,
 *   `GITHUB_API_URL`);
 * - `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET` (`GOOGLE_BASE_URL`: its issuer elsewhere);
 * - `MICROSOFT_CLIENT_ID`, `MICROSOFT_CLIENT_SECRET`, `MICROSOFT_TENANT` (default `common`),
 *   `MICROSOFT_LOGOUT` (`MICROSOFT_BASE_URL`: the login host elsewhere);
 * - `APPLE_CLIENT_ID`, `APPLE_TEAM_ID`, `APPLE_KEY_ID`, `APPLE_PRIVATE_KEY` (`APPLE_BASE_URL`);
 * - any number of OpenID Connect providers, `OIDC_<ID>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`,
 *   `_NAME` (and `_LOGOUT`), and the unprefixed `OIDC_ISSUER`, ... as the provider `oidc`;
 * - `AUTH_TRUSTED_PROVIDERS`: the keys of those whose vouched-for address may join an existing
 *   account with that address.
 */
export interface ProvidersSettings {
  providers: ProviderSettings[];
  trusted: ReadonlySet<string>;
  /** How long a request to a provider may take before the sign-in answers 504. */
  timeoutSeconds: number;
}

interface Common {
  /** In its routes (`/auth/<key>/start`), AUTH_TRUSTED_PROVIDERS and the flow cookie. */
  key: string;
  /** On its buttons: "Continue with <name>", "Link <name>". */
  name: string;
  clientId: string;
}

export type ProviderSettings =
  | (Common & { type: "oidc"; issuer: URL; clientSecret: string; logout: boolean })
  | (Common & { type: "google"; issuer: URL; clientSecret: string })
  | (Common & {
      type: "microsoft";
      baseUrl: URL;
      tenant: string;
      clientSecret: string;
      logout: boolean;
    })
  | (Common & { type: "github"; baseUrl: URL; apiUrl: URL; clientSecret: string })
  | (Common & {
      type: "apple";
      baseUrl: URL;
      teamId: string;
      keyId: string;
      privateKey: KeyObject;
    });

const url = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .transform((value) => new URL(value))
  .optional();
const text = z.string().trim().optional();
const flag = z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional();

/** `OIDC_<ID>_<SETTING>`, or the unprefixed `OIDC_<SETTING>` (no <ID>). */
const GENERIC = /^OIDC_(?:([A-Z0-9]+)_)?(ISSUER|CLIENT_ID|CLIENT_SECRET|NAME|LOGOUT)$/;
const GENERIC_SETTINGS = ["ISSUER", "CLIENT_ID", "CLIENT_SECRET", "NAME"] as const;

function schemaFor(prefixes: readonly string[]) {
  const shape: Record<string, z.ZodType> = {
    GITHUB_CLIENT_ID: text,
    GITHUB_CLIENT_SECRET: text,
    GITHUB_BASE_URL: url,
    GITHUB_API_URL: url,
    GOOGLE_CLIENT_ID: text,
    GOOGLE_CLIENT_SECRET: text,
    GOOGLE_BASE_URL: url,
    MICROSOFT_CLIENT_ID: text,
    MICROSOFT_CLIENT_SECRET: text,
    MICROSOFT_TENANT: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, {
        error: "must be common, organizations, consumers, a tenant ID or a tenant's domain name",
      })
      .optional(),
    MICROSOFT_BASE_URL: url,
    MICROSOFT_LOGOUT: flag,
    APPLE_CLIENT_ID: text,
    APPLE_TEAM_ID: text,
    APPLE_KEY_ID: text,
    APPLE_PRIVATE_KEY: z.string().optional(),
    APPLE_BASE_URL: url,
    AUTH_TRUSTED_PROVIDERS: z.string().optional(),
    PROVIDER_TIMEOUT_SECONDS: z.coerce
      .number({ error: "must be a whole number" })
      .int({ error: "must be a whole number" })
      .min(1, { error: "must be at least 1" })
      .max(120, { error: "must be at most 120" })
      .default(10),
  };
  for (const prefix of prefixes) {
    shape[`${prefix}ISSUER`] = url;
    shape[`${prefix}CLIENT_ID`] = text;
    shape[`${prefix}CLIENT_SECRET`] = text;
    shape[`${prefix}NAME`] = z
      .string()
      .trim()
      .max(40, { error: "must be at most 40 characters" })
      .optional();
    shape[`${prefix}LOGOUT`] = flag;
  }
  return z.object(shape);
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Reads and checks every provider's variables (Feature.checkConfig, and setup again): a
 * ConfigError names each bad one.
 */
export function readSettings(config: Config): ProvidersSettings {
  const env = config.env;
  const ids = new Set<string>();
  for (const name of Object.keys(env)) {
    const id = GENERIC.exec(name)?.[1];
    if (id !== undefined) ids.add(id);
  }
  const prefixes = ["OIDC_", ...[...ids].sort().map((id) => `OIDC_${id}_`)];
  const vars = parseVariables(schemaFor(prefixes), env) as Record<string, unknown>;
  const str = (name: string) => vars[name] as string | undefined;
  const problems: ConfigProblem[] = [];

  /** All of `names` set (true), none (false), or some: each missing one is a problem. */
  const group = (names: readonly string[]): boolean => {
    const set = names.filter((name) => str(name) !== undefined && str(name) !== "");
    if (set.length === 0) return false;
    if (set.length === names.length) return true;
    for (const variable of names.filter((name) => !set.includes(name))) {
      problems.push({
        variable,
        message: `required with ${set.join(", ")}: set all of ${names.join(", ")} or none`,
      });
    }
    return false;
  };

  /** A provider's URL (set, or its default): https, or http on this machine outside production. */
  const place = (variable: string, fallback?: string): URL => {
    const value = (vars[variable] as URL | undefined) ?? new URL(fallback as string);
    if (value.protocol === "http:") {
      if (config.isProduction) {
        problems.push({ variable, message: "must be https:// in production" });
      } else if (!LOCAL_HOSTS.has(value.hostname)) {
        problems.push({
          variable,
          message: "must be https://, or http:// on localhost or 127.0.0.1 outside production",
        });
      }
    }
    return value;
  };

  const providers: ProviderSettings[] = [];
  if (group(["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"])) {
    providers.push({
      type: "github",
      key: "github",
      name: "GitHub",
      clientId: str("GITHUB_CLIENT_ID") as string,
      clientSecret: str("GITHUB_CLIENT_SECRET") as string,
      baseUrl: place("GITHUB_BASE_URL", "https://github.com"),
      apiUrl: place("GITHUB_API_URL", "https://api.github.com"),
    });
  }
  if (group(["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"])) {
    providers.push({
      type: "google",
      key: "google",
      name: "Google",
      clientId: str("GOOGLE_CLIENT_ID") as string,
      clientSecret: str("GOOGLE_CLIENT_SECRET") as string,
      issuer: place("GOOGLE_BASE_URL", "https://accounts.google.com"),
    });
  }
  if (group(["MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET"])) {
    providers.push({
      type: "microsoft",
      key: "microsoft",
      name: "Microsoft",
      clientId: str("MICROSOFT_CLIENT_ID") as string,
      clientSecret: str("MICROSOFT_CLIENT_SECRET") as string,
      tenant: str("MICROSOFT_TENANT") ?? "common",
      baseUrl: place("MICROSOFT_BASE_URL", "https://login.microsoftonline.com"),
      logout: vars.MICROSOFT_LOGOUT === "true",
    });
  }
  if (group(["APPLE_CLIENT_ID", "APPLE_TEAM_ID", "APPLE_KEY_ID", "APPLE_PRIVATE_KEY"])) {
    const privateKey = applePrivateKey(str("APPLE_PRIVATE_KEY") as string, problems);
    if (privateKey) {
      providers.push({
        type: "apple",
        key: "apple",
        name: "Apple",
        clientId: str("APPLE_CLIENT_ID") as string,
        teamId: str("APPLE_TEAM_ID") as string,
        keyId: str("APPLE_KEY_ID") as string,
        privateKey,
        baseUrl: place("APPLE_BASE_URL", "https://appleid.apple.com"),
      });
    }
  }
  for (const prefix of prefixes) {
    if (!group(GENERIC_SETTINGS.map((setting) => `${prefix}${setting}`))) continue;
    providers.push({
      type: "oidc",
      // OIDC_GITLAB_ISSUER: "gitlab"; the unprefixed OIDC_ISSUER: "oidc" (its routes since 17).
      key: prefix === "OIDC_" ? "oidc" : prefix.slice(5, -1).toLowerCase(),
      name: str(`${prefix}NAME`) as string,
      clientId: str(`${prefix}CLIENT_ID`) as string,
      clientSecret: str(`${prefix}CLIENT_SECRET`) as string,
      issuer: place(`${prefix}ISSUER`),
      logout: vars[`${prefix}LOGOUT`] === "true",
    });
  }

  // Two providers on one key would share routes: OIDC_GITHUB_* beside GITHUB_*, or OIDC_OIDC_*.
  const seen = new Set<string>();
  for (const provider of providers) {
    if (seen.has(provider.key)) {
      problems.push({
        variable: `OIDC_${provider.key.toUpperCase()}_ISSUER`,
        message: `names the provider "${provider.key}", which is already configured: choose another <ID>`,
      });
    }
    seen.add(provider.key);
  }

  const trusted = (str("AUTH_TRUSTED_PROVIDERS") ?? "")
    .split(",")
    .map((key) => key.trim().toLowerCase())
    .filter((key) => key !== "");
  for (const key of trusted.filter((key) => !seen.has(key))) {
    problems.push({
      variable: "AUTH_TRUSTED_PROVIDERS",
      message: `names "${key}", which is not a configured provider (configured: ${[...seen].join(", ") || "none"})`,
    });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    providers,
    trusted: new Set(trusted),
    timeoutSeconds: vars.PROVIDER_TIMEOUT_SECONDS as number,
  };
}

/** The Sign in with Apple key: the .p8 file's PEM text, or the path to the file. */
function applePrivateKey(value: string, problems: ConfigProblem[]): KeyObject | undefined {
  const variable = "APPLE_PRIVATE_KEY";
  let pem = value.replace(/\\n/g, "\n");
  if (!pem.includes("-----BEGIN")) {
    if (!existsSync(value.trim())) {
      problems.push({
        variable,
        message: "must be the .p8 key's text (-----BEGIN PRIVATE KEY-----...) or the path to it",
      });
      return undefined;
    }
    pem = readFileSync(value.trim(), "utf8");
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
      return key;
    }
  } catch {
    // Not a key at all: said below.
  }
  problems.push({ variable, message: "is not a P-256 (ES256) private key, as Apple's .p8 is" });
  return undefined;
}
