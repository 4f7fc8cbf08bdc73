import { expect, test } from "vitest";
import { adaptCaddyfile, requireCaddy } from "../helpers/caddy.js";

// The Caddyfile as Caddy itself reads it (`caddy adapt`), with compose's defaults and with the
// environment production.test.ts runs it under: one file, changed by environment only.

interface Adapted {
  admin?: { disabled?: boolean; listen?: string };
  apps: {
    http: {
      http_port?: number;
      servers: Record<
        string,
        { listen: string[]; routes: Array<{ match?: Array<{ host?: string[] }> }> }
      >;
    };
    pki?: { certificate_authorities?: { local?: { install_trust?: boolean } } };
    tls?: {
      automation?: {
        policies?: Array<{ subjects?: string[]; issuers?: Array<{ module: string }> }>;
      };
    };
  };
}

interface ProxyHandler {
  handler: string;
  upstreams?: Array<{ dial: string }>;
  load_balancing?: { selection_policy?: { policy?: string } };
  routes?: Array<{ handle?: ProxyHandler[] }>;
}

function adapt(env: Record<string, string> = {}): Adapted {
  requireCaddy();
  return adaptCaddyfile(env) as Adapted;
}

/** The reverse_proxy handler, wherever the adapter nested it. */
function reverseProxy(config: Adapted): ProxyHandler {
  const found: ProxyHandler[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      if ((value as ProxyHandler).handler === "reverse_proxy") found.push(value as ProxyHandler);
      Object.values(value).forEach(visit);
    }
  };
  visit(config.apps.http.servers);
  expect(found).toHaveLength(1);
  return found[0] as ProxyHandler;
}

function server(config: Adapted) {
  const servers = Object.values(config.apps.http.servers);
  expect(servers).toHaveLength(1);
  return servers[0] as Adapted["apps"]["http"]["servers"][string];
}

test("with compose's defaults: https://localhost from Caddy's local CA, to app:3000 in round robin", () => {
  const config = adapt();
  expect(server(config).listen).toEqual(["0.0.0.0:443"]);
  expect(server(config).routes[0]?.match?.[0]?.host).toEqual(["localhost"]);
  expect(config.apps.http.http_port).toBe(80);
  expect(config.apps.tls?.automation?.policies).toEqual([
    { subjects: ["localhost"], issuers: [{ module: "internal" }] },
  ]);
  // Caddy never installs its root in the system's trust store by itself.
  expect(config.apps.pki?.certificate_authorities?.local?.install_trust).toBe(false);
  expect(config.admin?.listen).toBe("localhost:2019");

  const proxy = reverseProxy(config);
  expect(proxy.upstreams).toEqual([{ dial: "app:3000" }]);
  expect(proxy.load_balancing?.selection_policy?.policy).toBe("round_robin");
});

test("changed by environment only: site and port, HTTP port, interface, several upstreams, no admin", () => {
  const config = adapt({
    SITE_ADDRESS: "localhost:8443",
    HTTP_PORT: "8080",
    CADDY_BIND: "127.0.0.1",
    UPSTREAMS: "127.0.0.1:3001 127.0.0.1:3002",
    CADDY_ADMIN: "off",
  });
  expect(server(config).listen).toEqual(["127.0.0.1:8443"]);
  expect(config.apps.http.http_port).toBe(8080);
  expect(config.admin?.disabled).toBe(true);
  const proxy = reverseProxy(config);
  expect(proxy.upstreams).toEqual([{ dial: "127.0.0.1:3001" }, { dial: "127.0.0.1:3002" }]);
  expect(proxy.load_balancing?.selection_policy?.policy).toBe("round_robin");
});

test("no response compression: pages carry CSRF tokens next to reflected input (BREACH)", () => {
  const handlers: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      const handler = (value as { handler?: unknown }).handler;
      if (typeof handler === "string") handlers.push(handler);
      Object.values(value).forEach(visit);
    }
  };
  visit(adapt().apps.http.servers);
  expect(handlers).not.toContain("encode");
});
