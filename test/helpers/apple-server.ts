import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeProtectedHeader, exportJWK, jwtVerify, SignJWT } from "jose";
import { expect, onTestFinished } from "vitest";
import { HttpClient } from "./http-client.js";
import { type Listening, listen } from "./listen.js";
import {
  escapeAttribute,
  hiddenFields,
  hiddenInputs,
  readForm,
  sendHtml,
  sendJson,
  unescapeAttribute,
} from "./stand-in.js";

/**
 * A stand-in for Sign in with Apple on 127.0.0.1 (APPLE_BASE_URL), as Apple documents it:
 *
 * - GET /auth/authorize: Apple's page (sign in as someone, "Continue" or "Cancel"); the answer is
 *   a page that POSTs `code`, `state` (and `user`, JSON with the name, on the first authorization
 *   only) to the redirect URI: `response_mode=form_post`, a cross-site POST;
 * - POST /auth/token: checks the client secret, an ES256 JWT (kid: the key ID; iss: the team;
 *   sub: the client; aud: this server; at most six months) signed with the developer's key,
 *   then the code and PKCE; answers an RS256 ID token with `email_verified` as the string "true";
 * - GET /auth/keys: its JWKS.
 */
export interface AppleServer {
  url: string;
  /** APPLE_* for the app, with a freshly made developer key. */
  env: Record<string, string>;
  accounts: Map<string, AppleAccount>;
  /** Each client secret the token endpoint accepted, as it came. */
  clientSecrets: string[];
  start(redirectUri: string): void;
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export interface AppleAccount {
  email: string;
  /** Apple vouches for every address it gives (a boolean false here plays one that does not). */
  emailVerified?: boolean;
  firstName?: string;
  lastName?: string;
}

export const APPLE_CLIENT = {
  id: "com.example.starter.web",
  team: "TEAM123456",
  keyId: "KEY1234567",
};

interface Grant {
  sub: string;
  redirectUri: string;
  nonce: string | undefined;
  challenge: string | undefined;
  used: boolean;
}

const SIX_MONTHS_S = 15_777_000;

export async function startAppleServer(): Promise<AppleServer> {
  // The developer's key (the .p8 Apple gives once) and Apple's own ID-token key.
  const developer = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signing = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingJwk = {
    ...(await exportJWK(signing.publicKey)),
    kid: "apple-test",
    alg: "RS256",
    use: "sig",
  };
  let redirectUri: string | undefined;
  let failing: number | undefined;
  const grants = new Map<string, Grant>();
  const authorizedBefore = new Set<string>();
  const accounts = new Map<string, AppleAccount>();
  const clientSecrets: string[] = [];

  const server: Listening = await listen((req, res) => {
    if (req.url === "/favicon.ico") {
      res.statusCode = 204;
      res.end();
      return;
    }
    if (failing !== undefined || !redirectUri) {
      res.statusCode = failing ?? 503;
      res.end("unavailable");
      return;
    }
    void route(req, res, redirectUri).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  const base = server.url;

  /** Apple's answer: a page that posts the fields to the redirect URI (form_post). */
  const post = (res: ServerResponse, target: string, fields: Record<string, string>) => {
    const inputs = hiddenInputs(Object.entries(fields));
    sendHtml(
      res,
      "Apple",
      `<form method="post" action="${escapeAttribute(target)}" id="answer">${inputs}<noscript><button>Continue</button></noscript></form>
      <script>document.getElementById("answer").submit()</script>`,
    );
  };

  async function verifyClientSecret(secret: string, clientId: string | null): Promise<boolean> {
    try {
      if (decodeProtectedHeader(secret).kid !== APPLE_CLIENT.keyId) return false;
      const { payload } = await jwtVerify(secret, developer.publicKey as KeyObject, {
        algorithms: ["ES256"],
        issuer: APPLE_CLIENT.team,
        subject: APPLE_CLIENT.id,
        audience: base,
      });
      const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
      return clientId === APPLE_CLIENT.id && lifetime > 0 && lifetime <= SIX_MONTHS_S;
    } catch {
      return false;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, registered: string) {
    const url = new URL(req.url ?? "/", base);
    if (req.method === "GET" && url.pathname === "/auth/keys") {
      sendJson(res, 200, { keys: [signingJwk] });
      return;
    }
    if (req.method === "GET" && url.pathname === "/auth/authorize") {
      const q = url.searchParams;
      if (
        q.get("client_id") !== APPLE_CLIENT.id ||
        q.get("redirect_uri") !== registered ||
        q.get("response_mode") !== "form_post" ||
        q.get("response_type") !== "code"
      ) {
        sendHtml(
          res,
          "Apple",
          "<h1>invalid_request</h1><p>Invalid client id or web redirect url.</p>",
        );
        return;
      }
      const hidden = hiddenInputs(q);
      sendHtml(
        res,
        "Apple",
        `<h1>Sign in with Apple ID</h1><form method="post" action="/auth/authorize">${hidden}
        <label>Apple ID <input name="account"></label>
        <button name="decision" value="allow">Continue</button>
        <button name="decision" value="deny">Cancel</button></form>`,
      );
      return;
    }
    if (req.method === "POST" && url.pathname === "/auth/authorize") {
      const q = await readForm(req);
      const state = q.get("state") ?? "";
      const target = q.get("redirect_uri") ?? "";
      if (target !== registered) {
        sendHtml(res, "Apple", "<h1>invalid_request</h1>");
        return;
      }
      if (q.get("decision") !== "allow") {
        post(res, target, { error: "user_cancelled_authorize", state });
        return;
      }
      const sub = q.get("account") ?? "";
      const account = accounts.get(sub);
      if (!account) {
        sendHtml(res, "Apple", "<h1>Your Apple ID or password was incorrect.</h1>");
        return;
      }
      const code = `c${randomBytes(16).toString("hex")}.0.ns.test`;
      grants.set(code, {
        sub,
        redirectUri: target,
        nonce: q.get("nonce") ?? undefined,
        challenge: q.get("code_challenge") ?? undefined,
        used: false,
      });
      // The name and address come in the POST on the first authorization only.
      const fields: Record<string, string> = { state, code };
      if (!authorizedBefore.has(sub) && (q.get("scope") ?? "").includes("name")) {
        fields.user = JSON.stringify({
          name: { firstName: account.firstName ?? "", lastName: account.lastName ?? "" },
          email: account.email,
        });
      }
      authorizedBefore.add(sub);
      post(res, target, fields);
      return;
    }
    if (req.method === "POST" && url.pathname === "/auth/token") {
      const q = await readForm(req);
      const secret = q.get("client_secret") ?? "";
      if (!(await verifyClientSecret(secret, q.get("client_id")))) {
        sendJson(res, 400, { error: "invalid_client" });
        return;
      }
      clientSecrets.push(secret);
      const grant = grants.get(q.get("code") ?? "");
      const challenge = createHash("sha256")
        .update(q.get("code_verifier") ?? "")
        .digest("base64url");
      if (
        !grant ||
        grant.used ||
        q.get("grant_type") !== "authorization_code" ||
        grant.redirectUri !== q.get("redirect_uri") ||
        (grant.challenge !== undefined && grant.challenge !== challenge)
      ) {
        if (grant) grant.used = true;
        sendJson(res, 400, {
          error: "invalid_grant",
          error_description: "The code has expired or has been revoked.",
        });
        return;
      }
      grant.used = true;
      const account = accounts.get(grant.sub) as AppleAccount;
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({
        email: account.email,
        email_verified: account.emailVerified === false ? "false" : "true",
        is_private_email: account.email.endsWith("@privaterelay.appleid.com") ? "true" : "false",
        auth_time: now,
        nonce_supported: true,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      })
        .setProtectedHeader({ alg: "RS256", kid: signingJwk.kid })
        .setIssuer(base)
        .setAudience(APPLE_CLIENT.id)
        .setSubject(grant.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(signing.privateKey);
      sendJson(res, 200, {
        access_token: `a${randomBytes(16).toString("hex")}`,
        token_type: "Bearer",
        expires_in: 3600,
        refresh_token: `r${randomBytes(16).toString("hex")}`,
        id_token: idToken,
      });
      return;
    }
    sendJson(res, 404, { error: "not_found" });
  }

  let closed: Promise<void> | undefined;
  const apple: AppleServer = {
    url: base,
    env: {
      APPLE_CLIENT_ID: APPLE_CLIENT.id,
      APPLE_TEAM_ID: APPLE_CLIENT.team,
      APPLE_KEY_ID: APPLE_CLIENT.keyId,
      APPLE_PRIVATE_KEY: developer.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      APPLE_BASE_URL: base,
    },
    accounts,
    clientSecrets,
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
  onTestFinished(() => apple.close());
  return apple;
}

/**
 * What a person does at Apple: follow the app's redirect, sign in as `sub` and press "Continue"
 * (or "Cancel"). Returns the form Apple's answer page posts: where, and its fields.
 */
export async function signInAtApple(
  authorizationUrl: string,
  sub: string,
  options: { cancel?: boolean } = {},
): Promise<{ action: URL; fields: Record<string, string> }> {
  const browser = new HttpClient(new URL(authorizationUrl).origin);
  const page = await browser.get(authorizationUrl);
  expect(page.status).toBe(200);
  const answer = await browser.request("POST", "/auth/authorize", {
    form: { ...hiddenFields(page.body), account: sub, decision: options.cancel ? "deny" : "allow" },
  });
  const action = /<form method="post" action="([^"]+)"/.exec(answer.body)?.[1];
  if (!action) throw new Error(`Apple did not answer with form_post: ${answer.body.slice(0, 300)}`);
  return { action: new URL(unescapeAttribute(action)), fields: hiddenFields(answer.body) };
}
