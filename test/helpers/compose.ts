import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../app/paths.js";

/** A service of `docker compose config`'s resolved output (the parts the tests read). */
export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | null>;
  env_file?: Array<string | { path: string; required?: boolean }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  ports?: Array<
    string | { published: number | string; target: number; protocol?: string; host_ip?: string }
  >;
  volumes?: Array<string | { type: string; source: string; target: string }>;
  restart?: string;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const COMPOSE_FILE = join(projectRoot, "docker-compose.yml");

/** Where .ci/install-compose-v2 puts Compose v2; `docker compose` finds it there too. */
const COMPOSE_V2_PATHS = [
  process.env.COMPOSE_V2,
  "/usr/local/libexec/docker/cli-plugins/docker-compose",
  "/usr/libexec/docker/cli-plugins/docker-compose",
  "docker-compose",
];

/** The Compose v2 binary (it runs on its own: no Docker engine, no docker CLI needed). */
export function composeV2(): string {
  for (const candidate of COMPOSE_V2_PATHS) {
    if (!candidate) continue;
    const version = spawnSync(candidate, ["version"], { encoding: "utf8" });
    if (version.status === 0 && /version v?2\./.test(version.stdout)) return candidate;
  }
  throw new Error("Compose v2 not found: run .ci/install-compose-v2 (as root), or set COMPOSE_V2");
}

/**
 * `docker compose config`, as Compose v2 reads docker-compose.yml: validates the file and
 * resolves it. The file is copied into `dir` with `envFile` as its only `.env` (read both for
 * `${...}` and as the app's `env_file`; `undefined`: no .env at all) and `env` as the only
 * environment, so a developer's own .env never changes the result.
 */
export function composeConfig(
  dir: string,
  env: Record<string, string> = {},
  envFile: string | undefined = "",
): ComposeConfig {
  const file = join(dir, "docker-compose.yml");
  copyFileSync(COMPOSE_FILE, file);
  rmSync(join(dir, ".env"), { force: true });
  if (envFile !== undefined) writeFileSync(join(dir, ".env"), envFile);
  const result = spawnSync(composeV2(), ["-f", file, "config", "--format", "json"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`docker compose config failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as ComposeConfig;
}
/** A service's volumes as { source, target }, whichever form the resolver printed. */
export function mounts(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== "string") return { source: volume.source, target: volume.target };
    const [source = "", target = ""] = volume.split(":");
    return { source, target };
  });
}

/** A service's published ports as "[host_ip:]published:target[/protocol]". */
export function publishedPorts(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) =>
    typeof port === "string"
      ? port.replace(/\/tcp$/, "")
      : `${port.host_ip ? `${port.host_ip}:` : ""}${port.published}:${port.target}${port.protocol === "udp" ? "/udp" : ""}`,
  );
}
