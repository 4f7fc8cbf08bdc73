import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { expect, onTestFinished } from "vitest";
import { startTestApp, type TestApp, type TestAppOptions } from "./app.js";
import { HttpClient, type Reply } from "./http-client.js";
import { type Listening, listen } from "./listen.js";
import { hiddenFields, hiddenInputs, readForm, sendHtml, sendJson } from "./stand-in.js";

/**
 * A small stand-in for GitHub's OAuth 2.0 server and REST API, on 127.0.0.1, speaking GitHub's
 * documented endpoints and JSON:
 *
 * - GET /login/oauth/authorize: GitHub's page (sign in as a login, then "Authorize" or "Cancel");
 *   back to the redirect URI with `code` and `state`, or `error=access_denied`;
 * - POST /login/oauth/access_token: JSON when asked for (Accept: application/json), else
 *   form-encoded, as GitHub; a refused code, a wrong secret or a failed PKCE check is HTTP 200
 *   with an `error` field, as GitHub does;
 * - GET /api/user and /api/user/emails (GITHUB_API_URL = `<url>/api`): a bearer token and a
 *   User-Agent required (403 without one, as GitHub); `/user`'s `email` is the public address or
 *   null; `/user/emails` lists every address with `primary` and `verified`.
 */
export interface GitHubServer {
  url: string;
  /** GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_BASE_URL, GITHUB_API_URL for the app. */
  env: Record<string, string>;
  users: Map<string, GitHubUser>;
  /** The requests it answered, "METHOD /path" (the API's with their User-Agent). */
  requests: { method: string; path: string; userAgent: string | undefined }[];
  /** Registers the app's redirect URI and starts answering (503 until then). */
  start(redirectUri: string): void;
  /**
   * From now on the token endpoint and the API (what the app asks, not the browser's pages)
   * answer this status (GitHub failing), or never answer ("silence": too slow), or drop the
   * connection ("reset": down), or again answer normally (undefined).
   */
  failWith(status: number | "silence" | "reset" | undefined): void;
  close(): Promise<void>;
}

export interface GitHubUser {
  id: number;
  /** The public address (null: none, `/user`'s `email` is null). */
  publicEmail?: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export const GITHUB_CLIENT = { id: "Iv1.starter-test", secret: "a-github-test-secret-0123456789" };

interface Grant {
  login: string;
  redirectUri: string;
  challenge: string | undefined;
  used: boolean;
}

export async function startGitHubServer(): Promise<GitHubServer> {
  let redirectUri: string | undefined;
  let failing: number | "silence" | "reset" | undefined;
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, { login: string; scope: string }>();
  const users = new Map<string, GitHubUser>();
  const requests: GitHubServer["requests"] = [];

  const server: Listening = await listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://github.test");
    // A browser asks for it; GitHub has one. Nothing to see here.
    if (url.pathname === "/favicon.ico") {
      res.statusCode = 204;
      res.end();
      return;
    }
    requests.push({
      method: req.method ?? "",
      path: url.pathname,
      userAgent: req.headers["user-agent"],
    });
    const asked = url.pathname === "/login/oauth/access_token" || url.pathname.startsWith("/api/");
    if (asked && failing === "silence") return;
    if (asked && failing === "reset") {
      req.socket.destroy();
      return;
    }
    if ((asked && failing !== undefined) || !redirectUri) {
      res.statusCode = typeof failing === "number" ? failing : 503;
      res.end("unavailable");
      return;
    }
    void route(req, res, url, redirectUri).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  const back = (res: ServerResponse, target: string, params: Record<string, string>) => {
    const url = new URL(target);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    res.statusCode = 302;
    res.setHeader("location", url.href);
    res.end();
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, registered: string) {
    const path = url.pathname;
    if (req.method === "GET" && path === "/login/oauth/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== GITHUB_CLIENT.id || q.get("redirect_uri") !== registered) {
        sendHtml(
          res,
          "GitHub",
          "<h1>The redirect_uri is not associated with this application.</h1>",
        );
        return;
      }
      // Sign in, then authorize: one page here. The request's parameters ride along.
      const hidden = hiddenInputs(q);
      sendHtml(
        res,
        "GitHub",
        `<h1>Authorize the app</h1><form method="post" action="/login/oauth/authorize">${hidden}
        <label>Username <input name="login"></label>
        <button name="decision" value="allow">Authorize</button>
        <button name="decision" value="deny">Cancel</button></form>`,
      );
      return;
    }
    if (req.method === "POST" && path === "/login/oauth/authorize") {
      const q = await readForm(req);
      const state = q.get("state") ?? "";
      if (q.get("decision") !== "allow") {
        back(res, registered, {
          error: "access_denied",
          error_description: "The user has denied your application access.",
          error_uri:
            "https://docs.github.com/apps/troubleshooting-authorization-request-errors/#access-denied",
          state,
        });
        return;
      }
      const login = q.get("login") ?? "";
      if (!users.has(login)) {
        sendHtml(res, "GitHub", "<h1>Incorrect username or password.</h1>");
        return;
      }
      const code = randomBytes(10).toString("hex");
      grants.set(code, {
        login,
        redirectUri: q.get("redirect_uri") ?? "",
        challenge: q.get("code_challenge") ?? undefined,
        used: false,
      });
      back(res, registered, { code, state });
      return;
    }
    if (req.method === "POST" && path === "/login/oauth/access_token") {
      const q = await readForm(req);
      // Every refusal is HTTP 200 with an `error`, as GitHub answers.
      if (
        q.get("client_id") !== GITHUB_CLIENT.id ||
        q.get("client_secret") !== GITHUB_CLIENT.secret
      ) {
        sendJson(res, 200, {
          error: "incorrect_client_credentials",
          error_description: "The client_id and/or client_secret passed are incorrect.",
        });
        return;
      }
      const grant = grants.get(q.get("code") ?? "");
      const verifier = q.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (
        !grant ||
        grant.used ||
        grant.redirectUri !== q.get("redirect_uri") ||
        (grant.challenge !== undefined && grant.challenge !== challenge)
      ) {
        if (grant) grant.used = true;
        sendJson(res, 200, {
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
          error_uri:
            "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
        });
        return;
      }
      grant.used = true;
      const token = `gho_${randomBytes(18).toString("hex")}`;
      tokens.set(token, { login: grant.login, scope: "read:user,user:email" });
      const answer = { access_token: token, token_type: "bearer", scope: "read:user,user:email" };
      // Without `Accept: application/json`, GitHub answers form-encoded.
      if (!(req.headers.accept ?? "").includes("application/json")) {
        res.setHeader("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        res.end(new URLSearchParams(answer).toString());
        return;
      }
      sendJson(res, 200, answer);
      return;
    }
    if (req.method === "GET" && (path === "/api/user" || path === "/api/user/emails")) {
      if (!req.headers["user-agent"]) {
        res.statusCode = 403;
        res.end(
          "Request forbidden by administrative rules. Please make sure your request has a User-Agent header.",
        );
        return;
      }
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      const owner = token ? tokens.get(token) : undefined;
      const user = owner && users.get(owner.login);
      if (!owner || !user) {
        sendJson(res, 401, {
          message: "Requires authentication",
          documentation_url: "https://docs.github.com/rest",
        });
        return;
      }
      if (path === "/api/user") {
        sendJson(res, 200, {
          login: owner.login,
          id: user.id,
          type: "User",
          name: null,
          email: user.publicEmail ?? null,
        });
      } else {
        sendJson(
          res,
          200,
          user.emails.map((e) => ({ ...e, visibility: e.primary ? "private" : null })),
        );
      }
      return;
    }
    sendJson(res, 404, { message: "Not Found" });
  }

  let closed: Promise<void> | undefined;
  const github: GitHubServer = {
    url: server.url,
    env: {
      GITHUB_CLIENT_ID: GITHUB_CLIENT.id,
      GITHUB_CLIENT_SECRET: GITHUB_CLIENT.secret,
      GITHUB_BASE_URL: server.url,
      GITHUB_API_URL: `${server.url}/api`,
    },
    users,
    requests,
    start(uri) {
      redirectUri = uri;
    },
    failWith(status) {
      failing = status;
    },
    close: () => {
      closed ??= server.close();
      return closed;
    },
  };
  onTestFinished(() => github.close());
  return github;
}

/**
 * What a person does at GitHub: follow the app's redirect, sign in as `login` and press
 * "Authorize" (or "Cancel"). Returns the callback URL GitHub sends the browser to (not followed).
 */
export async function signInAtGitHub(
  authorizationUrl: string,
  login: string,
  options: { cancel?: boolean } = {},
): Promise<URL> {
  const browser = new HttpClient(new URL(authorizationUrl).origin);
  const page = await browser.get(authorizationUrl);
  expect(page.status).toBe(200);
  const reply = await browser.request("POST", "/login/oauth/authorize", {
    form: { ...hiddenFields(page.body), login, decision: options.cancel ? "deny" : "allow" },
  });
  expect(reply.status, reply.body.slice(0, 300)).toBe(302);
  return new URL(reply.location as string);
}

/** "octocat": an unverified primary address and a verified secondary one, none public. */
export const OCTOCAT: GitHubUser = {
  id: 583231,
  publicEmail: null,
  emails: [
    { email: "octocat@old.example", primary: true, verified: false },
    { email: "octocat@example.com", primary: false, verified: true },
  ],
};

/** The real app with GITHUB_* pointing at a GitHub stand-in on 127.0.0.1 (with OCTOCAT). */
export async function startAppWithGitHub(
  options: TestAppOptions = {},
): Promise<{ app: TestApp; github: GitHubServer }> {
  const github = await startGitHubServer();
  github.users.set("octocat", OCTOCAT);
  const app = await startTestApp({ ...options, env: { ...github.env, ...options.env } });
  github.start(`${app.url}/auth/github/callback`);
  return { app, github };
}

export const GITHUB = { key: "github", name: "GitHub" };

/** The whole trip: "Continue with GitHub" on `page`, sign in as `login`, back to the callback. */
export async function signInWithGitHub(
  browser: HttpClient,
  login: string,
  options: { page?: string; tamper?: (callback: URL) => void; cancel?: boolean } = {},
): Promise<{ callback: URL; reply: Reply }> {
  const form = await browser.get(options.page ?? "/login");
  expect(form.body).toContain("Continue with GitHub</button>");
  const start = await browser.post("/auth/github/start", {});
  expect(start.status, start.body.slice(0, 300)).toBe(303);
  const callback = await signInAtGitHub(start.location as string, login, options);
  options.tamper?.(callback);
  return { callback, reply: await browser.get(callback.pathname + callback.search) };
}
