import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { loggedInClient } from "../helpers/auth.js";
import type { HttpClient, Reply } from "../helpers/http-client.js";

let app: TestApp;
let user: HttpClient;

beforeAll(async () => {
  app = await startTestApp({ autoClose: false });
  ({ client: user } = await loggedInClient(app, "ann@example.com"));
});

afterAll(async () => {
  await app.close();
});

/** Every kind of page: public, form, private, error pages. */
async function pages(): Promise<Array<[string, Reply]>> {
  const visitor = app.client();
  const forged = app.client();
  return [
    ["home", await visitor.get("/")],
    ["login", await visitor.get("/login")],
    ["register", await visitor.get("/register")],
    ["account", await user.get("/account")],
    ["home, logged in", await user.get("/")],
    ["404", await visitor.get("/nowhere")],
    ["403", await forged.request("POST", "/login", { form: { email: "x", password: "y" } })],
  ];
}

function directives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(";")
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name = "", ...values] = part.split(/\s+/);
        return [name, values.join(" ")];
      }),
  );
}

test("every page carries a strict CSP: own scripts and styles only, nothing inline, never framed", async () => {
  for (const [name, reply] of await pages()) {
    const csp = reply.headers.get("content-security-policy") ?? "";
    const d = directives(csp);
    expect(d.get("default-src"), name).toBe("'self'");
    expect(d.get("script-src"), name).toBe("'self'");
    expect(d.get("script-src-attr"), name).toBe("'none'");
    expect(d.get("style-src"), name).toBe("'self'");
    expect(d.get("object-src"), name).toBe("'none'");
    expect(d.get("base-uri"), name).toBe("'none'");
    expect(d.get("form-action"), name).toBe("'self'");
    expect(d.get("frame-ancestors"), name).toBe("'none'");
    expect(csp, name).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    // Plain http://localhost in development and tests: no upgrade, no HSTS.
    expect(d.has("upgrade-insecure-requests"), name).toBe(false);
    expect(reply.headers.get("strict-transport-security"), name).toBeNull();

    expect(reply.headers.get("x-frame-options"), name).toBe("SAMEORIGIN");
    expect(reply.headers.get("x-content-type-options"), name).toBe("nosniff");
    expect(reply.headers.get("referrer-policy"), name).toBe("no-referrer");
    expect(reply.headers.get("cross-origin-opener-policy"), name).toBe("same-origin");
    expect(reply.headers.get("x-powered-by"), name).toBeNull();
  }
});

test("no page relies on inline code the CSP would block, and its own assets load", async () => {
  for (const [name, reply] of await pages()) {
    expect(reply.headers.get("content-type"), name).toMatch(/^text\/html/);
    // <script> without src, inline event handlers, style attributes and <style> blocks.
    expect(reply.body, name).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(reply.body, name).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
    expect(reply.body, name).not.toMatch(/<[^>]+\sstyle\s*=/i);
    expect(reply.body, name).not.toMatch(/<style/i);
    const assets = [...reply.body.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length, name).toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await fetch(new URL(asset as string, app.url));
      expect(res.status, `${name}: ${asset}`).toBe(200);
      await res.arrayBuffer();
    }
  }
});
