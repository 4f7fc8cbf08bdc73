import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../app/paths.js";

/** A service of `docker-compose config`'s resolved output (the parts the tests read). */
export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  /** Long form; docker-compose 1.29 prints a port bound to an address as "ip:pub:target/tcp". */
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

const COMPOSE_FILE = join(projectRoot, "docker-compose.yml");

/**
 * `docker-compose -f docker-compose.yml config` (Debian's docker-compose 1.29; Compose v2's
 * `docker compose` when that is what is installed): validates the file and resolves it, with
 * `env` as the only environment and `envFile` (in `dir`) as the only .env, so a developer's own
 * .env never changes the result. 1.29 prints YAML; PyYAML, which it runs on, turns it into JSON.
 */
export function composeConfig(
  dir: string,
  env: Record<string, string> = {},
  envFile = "",
): ComposeConfig {
  const file = join(dir, "compose.env");
  writeFileSync(file, envFile);
  const childEnv = { PATH: process.env.PATH ?? "", HOME: dir, ...env };
  const args = ["-f", COMPOSE_FILE, "--env-file", file, "config"];

  const v1 = spawnSync("docker-compose", args, {
    cwd: projectRoot,
    env: childEnv,
    encoding: "utf8",
  });
  if (v1.error === undefined) {
    if (v1.status !== 0) throw new Error(`docker-compose config failed:\n${v1.stderr}`);
    const json = spawnSync(
      "python3",
      ["-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
      { input: v1.stdout, encoding: "utf8" },
    );
    if (json.status !== 0) throw new Error(`could not read the YAML:\n${json.stderr}`);
    return JSON.parse(json.stdout) as ComposeConfig;
  }
  const v2 = spawnSync("docker", ["compose", ...args, "--format", "json"], {
    cwd: projectRoot,
    env: childEnv,
    encoding: "utf8",
  });
  if (v2.status !== 0) {
    throw new Error(
      `neither docker-compose nor docker compose could check the file: ${v1.error.message}\n${v2.stderr ?? ""}`,
    );
  }
  return JSON.parse(v2.stdout) as ComposeConfig;
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
