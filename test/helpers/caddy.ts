import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { projectRoot } from "../../app/paths.js";
import { HttpsClient, type HttpsOrigin } from "./https-client.js";
import {
  assertRunning,
  baseEnv,
  freePort,
  type ProcessGroup,
  type StartedProcess,
  waitUntil,
} from "./processes.js";

export const CADDYFILE = join(projectRoot, "Caddyfile");

/** Fails with what to install when the `caddy` command is missing. */
export function requireCaddy(): void {
  const found = spawnSync("caddy", ["version"], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error("`caddy` is not installed: apt-get install caddy (Caddy 2.6 or later)");
  }
}

/** `caddy adapt`: the repository's Caddyfile as Caddy's JSON, under the environment given. */
export function adaptCaddyfile(env: Record<string, string>): unknown {
  const result = spawnSync("caddy", ["adapt", "--config", CADDYFILE, "--adapter", "caddyfile"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: projectRoot, ...env },
  });
  if (result.status !== 0) throw new Error(`caddy adapt failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

export interface RunningCaddy {
  process: StartedProcess;
  /** The HTTPS site (localhost:<port> on 127.0.0.1) and the CA that signed its certificate. */
  origin: HttpsOrigin;
  /** The port of the HTTP -> HTTPS redirects. */
  httpPort: number;
  client(): HttpsClient;
}

/**
 * The repository's Caddyfile run by the machine's `caddy`, changed by environment only: free
 * ports on 127.0.0.1, the given upstreams, no admin API, and its storage (so its local CA) in
 * `dir`. Resolves once a request through it reaches an upstream's /readyz.
 */
export async function startCaddy(
  group: ProcessGroup,
  dir: string,
  upstreams: string[],
): Promise<RunningCaddy> {
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  const caddy = group.start(
    "caddy",
    "caddy",
    ["run", "--config", CADDYFILE, "--adapter", "caddyfile"],
    {
      cwd: dir,
      env: baseEnv(dir, {
        XDG_DATA_HOME: data,
        XDG_CONFIG_HOME: join(dir, "config"),
        SITE_ADDRESS: `localhost:${httpsPort}`,
        HTTP_PORT: String(httpPort),
        UPSTREAMS: upstreams.join(" "),
        CADDY_ADMIN: "off",
        CADDY_BIND: "127.0.0.1",
      }),
    },
  );

  const rootCert = join(data, "caddy", "pki", "authorities", "local", "root.crt");
  const ca = await waitUntil(`Caddy's local CA in ${rootCert}`, () => {
    assertRunning(caddy);
    return existsSync(rootCert) ? readFileSync(rootCert, "utf8") : undefined;
  });
  const origin: HttpsOrigin = { hostname: "localhost", port: httpsPort, address: "127.0.0.1", ca };
  await waitUntil("the proxy to answer /readyz over HTTPS", async () => {
    assertRunning(caddy);
    const reply = await new HttpsClient(origin).get("/readyz");
    return reply.status === 200 ? true : undefined;
  });
  return { process: caddy, origin, httpPort, client: () => new HttpsClient(origin) };
}

/** A plain-HTTP GET to 127.0.0.1:`port` with a Host header of our choosing. */
export function plainGet(
  port: number,
  path: string,
  host: string,
): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { host }, agent: false },
      (res) => {
        res.resume();
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, location: res.headers.location }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}
