import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, expect, test } from "vitest";
import { parseDocument } from "yaml";
import {
  DEMO_DATA_ENCRYPTION_KEY,
  DEMO_SESSION_SECRET,
  loadConfig,
  loadDatabaseConfig,
} from "../../app/config.js";
import { projectRoot } from "../../app/paths.js";
import {
  COMPOSE_FILE,
  type ComposeConfig,
  type ComposeService,
  composeConfig,
  mounts,
  publishedPorts,
} from "../helpers/compose.js";
import { MIGRATE_COMMAND } from "../helpers/production-app.js";
import { makeTempDir } from "../helpers/temp-dir.js";

// docker-compose.yml, validated and resolved by Compose v2 itself (no Docker engine needed),
// read as the services it defines. production.test.ts runs the same topology as processes.

let dir: ReturnType<typeof makeTempDir>;
let resolved: ComposeConfig;

beforeAll(() => {
  dir = makeTempDir("compose-config");
  resolved = composeConfig(dir.path);
});
afterAll(() => dir.remove());

function service(name: string) {
  const found = resolved.services[name];
  if (!found) throw new Error(`no service ${name} in docker-compose.yml`);
  return found;
}

function env(name: string): Record<string, string> {
  const entries = Object.entries(service(name).environment ?? {});
  return Object.fromEntries(entries.map(([key, value]) => [key, value ?? ""]));
}

test("the file is valid and defines exactly db, migrate, app, mail and proxy", () => {
  expect(Object.keys(resolved.services).sort()).toEqual(["app", "db", "mail", "migrate", "proxy"]);
});

test("mail: Mailpit, its web UI published on 127.0.0.1:8025, SMTP on 1025 inside only; the app sends there with links on the proxy's address", () => {
  const mail = service("mail");
  expect(mail.image).toBe("axllent/mailpit");
  // Loopback only: the mails hold reset links.
  expect(publishedPorts(mail)).toEqual(["127.0.0.1:8025:8025"]);
  const { config } = loadConfig({ env: env("app"), cwd: dir.path });
  expect(config.smtpUrl).toBe("smtp://mail:1025");
  expect(config.appUrl).toBe("https://localhost");
  expect(service("app").depends_on).toMatchObject({ mail: { condition: "service_started" } });

  const real = composeConfig(
    dir.path,
    {},
    "SMTP_URL=smtps://u:p@smtp.example:465\nAPP_URL=https://shop.example\n",
  );
  expect(real.services.app?.environment?.SMTP_URL).toBe("smtps://u:p@smtp.example:465");
  expect(real.services.app?.environment?.APP_URL).toBe("https://shop.example");
});

test("db: postgres:17, data in a named volume, healthy once pg_isready says so", () => {
  const db = service("db");
  expect(db.image).toBe("postgres:17");
  expect(mounts(db)).toEqual([{ source: "db-data", target: "/var/lib/postgresql/data" }]);
  expect(Object.keys(resolved.volumes ?? {})).toContain("db-data");
  expect(db.healthcheck?.test).toEqual(["CMD", "pg_isready", "-U", "app", "-d", "app"]);
  expect(publishedPorts(db)).toEqual([]);
});

test("migrate: the app's image runs the migrations once, in production, after db is healthy", () => {
  const migrate = service("migrate");
  const app = service("app");
  expect(migrate.image).toBe(app.image);
  expect(migrate.build).toEqual(app.build);
  expect(migrate.command).toEqual(MIGRATE_COMMAND);
  expect(migrate.restart).toBe("no");
  expect(migrate.depends_on).toMatchObject({ db: { condition: "service_healthy" } });

  // What the migrate CLI reads, as the app would parse it: production, on the db service.
  const config = loadDatabaseConfig({ env: env("migrate") });
  expect(config.isProduction).toBe(true);
  expect(new URL(config.databaseUrl ?? "").host).toBe("db:5432");
  expect(config.databaseUrl).toBe(env("app").DATABASE_URL);
});

test("app: an environment the app accepts as production, behind one trusted proxy, on db", () => {
  const app = service("app");
  expect(app.build).toBeDefined();
  const { config } = loadConfig({ env: env("app"), cwd: dir.path });
  expect(config).toMatchObject({
    nodeEnv: "production",
    isProduction: true,
    host: "0.0.0.0",
    port: 3000,
    trustProxy: 1,
  });

  const url = new URL(config.databaseUrl ?? "");
  const db = env("db");
  expect(url.host).toBe("db:5432");
  expect(decodeURIComponent(url.username)).toBe(db.POSTGRES_USER);
  expect(decodeURIComponent(url.password)).toBe(db.POSTGRES_PASSWORD);
  expect(url.pathname).toBe(`/${db.POSTGRES_DB}`);
});

test("app: starts after db is healthy and the migration has succeeded; no port of its own", () => {
  const app = service("app");
  expect(app.depends_on).toMatchObject({
    db: { condition: "service_healthy" },
    migrate: { condition: "service_completed_successfully" },
  });
  expect(app.command ?? undefined).toBeUndefined();
  expect(publishedPorts(app)).toEqual([]);
});

test("SESSION_SECRET: a labelled demo default, replaced from the environment or from .env", () => {
  const demo = env("app").SESSION_SECRET ?? "";
  expect(demo).toMatch(/demo/i);
  expect(demo.length).toBeGreaterThanOrEqual(32);
  // The one the app refuses in production unless this file marks the run as a demo.
  expect(demo).toBe(DEMO_SESSION_SECRET);
  expect(env("app").ALLOW_DEMO_SESSION_SECRET).toBe("true");

  const fromEnvironment = "a-secret-from-the-environment-0123456789";
  const viaEnv = composeConfig(dir.path, { SESSION_SECRET: fromEnvironment });
  expect(viaEnv.services.app?.environment?.SESSION_SECRET).toBe(fromEnvironment);

  const fromFile = "a-secret-from-the-dot-env-file-0123456789";
  const viaFile = composeConfig(dir.path, {}, `SESSION_SECRET=${fromFile}\n`);
  expect(viaFile.services.app?.environment?.SESSION_SECRET).toBe(fromFile);
});

test("DATA_ENCRYPTION_KEY: the public demo key (accepted with the demo mark), replaced from .env", () => {
  expect(env("app").DATA_ENCRYPTION_KEY).toBe(DEMO_DATA_ENCRYPTION_KEY);
  const own = Buffer.alloc(32, 9).toString("base64");
  const viaFile = composeConfig(dir.path, {}, `DATA_ENCRYPTION_KEY=${own}\n`);
  expect(viaFile.services.app?.environment?.DATA_ENCRYPTION_KEY).toBe(own);
});

test("POSTGRES_PASSWORD from .env changes the database and both connection strings alike", () => {
  const changed = composeConfig(dir.path, {}, "POSTGRES_PASSWORD=s3cret-from-env\n");
  expect(changed.services.db?.environment?.POSTGRES_PASSWORD).toBe("s3cret-from-env");
  for (const name of ["app", "migrate"]) {
    const url = new URL(changed.services[name]?.environment?.DATABASE_URL ?? "");
    expect(url.password).toBe("s3cret-from-env");
  }
});

test("proxy: caddy:2 publishes 80 and 443, with the repository's Caddyfile and its own volumes", () => {
  const proxy = service("proxy");
  expect(proxy.image).toBe("caddy:2");
  expect(publishedPorts(proxy)).toEqual(["80:80", "443:443", "443:443/udp"]);
  expect(mounts(proxy)).toEqual([
    { source: expect.stringMatching(/\/Caddyfile$/), target: "/etc/caddy/Caddyfile" },
    { source: "caddy-data", target: "/data" },
    { source: "caddy-config", target: "/config" },
  ]);
  expect(proxy.depends_on).toMatchObject({ app: { condition: "service_healthy" } });

  // The only ways in from outside: the site, and the demo's mail UI.
  const published = Object.entries(resolved.services)
    .filter(([, s]) => publishedPorts(s).length > 0)
    .map(([name]) => name)
    .sort();
  expect(published).toEqual(["mail", "proxy"]);
});

// Compose v2 reads the file strictly: YAML with no key defined twice, then the Compose
// Specification's JSON schema (the copy dclint ships). Both checked here on their own, each
// shown to refuse what Compose v2 refuses.
// Its "$schema" names draft-07 by a URL Ajv does not know (no "#"); Ajv's default is draft-07.
const { $schema: _draft, ...composeSchema } = JSON.parse(
  readFileSync(
    join(
      dirname(createRequire(import.meta.url).resolve("dclint/package.json")),
      "schemas/compose.schema.json",
    ),
    "utf8",
  ),
) as Record<string, unknown>;

function strictYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"));
  return doc.toJS({ maxAliasCount: 100 });
}

function schemaErrors(model: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(composeSchema);
  validate(model);
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const composeText = readFileSync(COMPOSE_FILE, "utf8");

test("strict YAML: no key twice (Compose v2 refuses the file otherwise); a duplicated key is caught", () => {
  expect(() => strictYaml(composeText)).not.toThrow();
  const logLevel = composeText.match(/^ {6}LOG_LEVEL: .*\n/m)?.[0] ?? "";
  expect(logLevel).not.toBe("");
  const duplicated = composeText.replace(
    logLevel,
    `${logLevel}      APP_URL: https://twice.example\n`,
  );
  expect(duplicated).not.toBe(composeText);
  expect(() => strictYaml(duplicated)).toThrow(/unique/i);
});

test("the Compose Specification's JSON schema accepts the file; an unknown key is refused", () => {
  expect(schemaErrors(strictYaml(composeText))).toEqual([]);
  const typo = composeText.replace(
    "    restart: unless-stopped\n",
    "    restrat: unless-stopped\n",
  );
  expect(schemaErrors(strictYaml(typo)).join("\n")).toMatch(/additional/i);
});

test("the app takes the rest of .env as it is (OIDC_*, REQUIRE_EMAIL_VERIFICATION), and needs no .env", () => {
  const raw = strictYaml(composeText) as { services: Record<string, ComposeService> };
  expect(raw.services.app?.env_file).toEqual([{ path: ".env", required: false }]);
  const withEnv = composeConfig(
    dir.path,
    {},
    "OIDC_ISSUER=https://id.example\nREQUIRE_EMAIL_VERIFICATION=true\nNODE_ENV=development\n",
  );
  const app = withEnv.services.app?.environment ?? {};
  expect(app.OIDC_ISSUER).toBe("https://id.example");
  expect(app.REQUIRE_EMAIL_VERIFICATION).toBe("true");
  // What the file itself sets wins over .env: the image runs in production.
  expect(app.NODE_ENV).toBe("production");
  const withoutEnv = composeConfig(dir.path, {}, undefined);
  expect(withoutEnv.services.app?.environment?.NODE_ENV).toBe("production");
});

test(".env.example lists every variable docker-compose.yml reads", () => {
  const read = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
  const example = readFileSync(join(projectRoot, ".env.example"), "utf8");
  const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
  expect([...read].filter((name) => !listed.has(name))).toEqual([]);
  expect(read).toContain("POSTGRES_PASSWORD");
});
