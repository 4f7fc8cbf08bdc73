import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
} from "express";
import { expect, onTestFinished } from "vitest";
import type { AnySessionOptions, Impl, SessionLike, SessionRequest } from "./session-impls.js";

/**
 * A real Express 5 app on 127.0.0.1:<random port> behind one session middleware, with routes
 * that exercise the session the way apps do, and a tiny HTTP client (no keep-alive, so closing
 * the server is immediate) that exposes every Set-Cookie header.
 */

export const SECRET = "keyboard cat";
export const COOKIE_NAME = "connect.sid";

export interface HarnessOptions {
  /** Which middleware: express-session or ours (or an already built middleware). */
  impl?: Impl;
  middleware?: RequestHandler;
  /**
   * Passed to `impl.session(...)`. Unless `exactOptions` is set, `secret`, `resave: false` and
   * `saveUninitialized: false` are filled in when absent (the recommended configuration).
   */
  options?: AnySessionOptions;
  exactOptions?: boolean;
  /** Express's `trust proxy` setting. */
  trustProxy?: boolean | number | string;
  /** The session routes are mounted under each of these prefixes (default ["/"]). */
  mounts?: string[];
  /** Extra routes, added before the standard ones. */
  routes?: (app: Express) => void;
  /** Runs before the session middleware (e.g. another session middleware). */
  before?: (app: Express) => void;
  /** Close the server when the current test finishes (default true; false in beforeAll). */
  autoClose?: boolean;
  /** Serve HTTPS directly (a TLS socket, no proxy) with this key and certificate. */
  tls?: { key: string; cert: string };
}

export interface Harness {
  url: string;
  app: Express;
  /** Errors that reached the Express error handler (next(err)), in order. */
  errors: unknown[];
  get(path: string, init?: RequestInit): Promise<HttpResult>;
  /** A client that keeps the session cookie between requests, as a browser would. */
  browser(name?: string): Browser;
  close(): Promise<void>;
}

export interface RequestInit {
  method?: string;
  /** Sent as the Cookie header. */
  cookie?: string;
  headers?: Record<string, string>;
}

export interface ParsedSetCookie {
  raw: string;
  name: string;
  /** The value as sent (URL-encoded). */
  rawValue: string;
  /** The value URL-decoded, e.g. "s:<id>.<sig>". */
  value: string;
  /** "<name>=<value>" ready for a Cookie header. */
  pair: string;
  /** Attribute name (lower-case) -> value (true for flags). */
  attributes: Record<string, string | true>;
  expires?: Date;
  /** The header with the value and Expires date replaced by placeholders. */
  masked: string;
}

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  setCookies: ParsedSetCookie[];
  /** The Set-Cookie for the session cookie (by name, default connect.sid), if any. */
  sessionCookie(name?: string): ParsedSetCookie | undefined;
  json<T = RouteSnapshot>(): T;
}

const open = new Set<Harness>();

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const app = express();
  const errors: unknown[] = [];
  if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy);
  options.before?.(app);

  let middleware = options.middleware;
  if (!middleware) {
    if (!options.impl) throw new Error("startHarness needs impl or middleware");
    const given = options.options ?? {};
    const resolved: AnySessionOptions = options.exactOptions
      ? given
      : { secret: SECRET, resave: false, saveUninitialized: false, ...given };
    middleware = options.impl.session(resolved);
  }
  app.use(middleware);

  options.routes?.(app);
  const router = sessionRoutes();
  for (const mount of options.mounts ?? ["/"]) app.use(mount, router);

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    errors.push(err);
    // A store error reported after the response went out: record it, nothing left to send.
    if (res.headersSent) return;
    const e = err as { message?: string; code?: string };
    res.status(500).json({ error: e.message ?? String(err), code: e.code ?? null });
  };
  app.use(onError);

  const server = options.tls ? https.createServer(options.tls, app) : http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;

  let closed = false;
  const harness: Harness = {
    url,
    app,
    errors,
    get: (path, init) => send(`${url}${path}`, init),
    browser: (name) => new Browser(harness, name),
    close: async () => {
      if (closed) return;
      closed = true;
      open.delete(harness);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  open.add(harness);
  if (options.autoClose !== false) onTestFinished(() => harness.close());
  return harness;
}

/** Close every harness still open (for afterAll of files that start them in beforeAll). */
export async function closeAllHarnesses(): Promise<void> {
  await Promise.all([...open].map((h) => h.close()));
}

/** A browser-like client: remembers the session cookie (and only sends it back). */
export class Browser {
  cookie: string | undefined;
  constructor(
    private readonly harness: Pick<Harness, "get">,
    readonly name: string = COOKIE_NAME,
  ) {}

  async get(path: string, init: Omit<RequestInit, "cookie"> = {}): Promise<HttpResult> {
    const res = await this.harness.get(path, { ...init, cookie: this.cookie });
    const set = res.sessionCookie(this.name);
    if (set) {
      const expired = set.expires !== undefined && set.expires.getTime() <= Date.now();
      this.cookie = expired ? undefined : set.pair;
    }
    return res;
  }

  /** The remembered cookie's value, URL-decoded ("s:<id>.<sig>"). */
  get value(): string | undefined {
    return this.cookie
      ? decodeURIComponent(this.cookie.slice(this.cookie.indexOf("=") + 1))
      : undefined;
  }

  /** The session ID inside the remembered cookie (not verified). */
  get sid(): string | undefined {
    const value = this.value;
    return value === undefined ? undefined : sidOf(value);
  }
}

export function send(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  return new Promise((resolve, reject) => {
    const client = url.startsWith("https:") ? https : http;
    const req = client.request(
      url,
      { method: init.method ?? "GET", headers, agent: false, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const setCookies = (res.headers["set-cookie"] ?? []).map(parseSetCookie);
          resolve({
            status: res.statusCode ?? 0,
            body,
            headers: res.headers,
            setCookies,
            sessionCookie: (name = COOKIE_NAME) => setCookies.find((c) => c.name === name),
            json: <T>() => JSON.parse(body) as T,
          });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

export function parseSetCookie(raw: string): ParsedSetCookie {
  const [pair = "", ...parts] = raw.split(";");
  const eq = pair.indexOf("=");
  const name = pair.slice(0, eq).trim();
  const rawValue = pair.slice(eq + 1).trim();
  let value = rawValue;
  try {
    value = decodeURIComponent(rawValue);
  } catch {}
  const attributes: Record<string, string | true> = {};
  const masked = [`${name}=<value>`];
  let expires: Date | undefined;
  for (const part of parts) {
    const trimmed = part.trim();
    const i = trimmed.indexOf("=");
    const key = (i === -1 ? trimmed : trimmed.slice(0, i)).toLowerCase();
    const val = i === -1 ? true : trimmed.slice(i + 1);
    attributes[key] = val;
    if (key === "expires" && typeof val === "string") {
      expires = new Date(val);
      masked.push(`${trimmed.slice(0, i)}=<date>`);
    } else {
      masked.push(trimmed);
    }
  }
  return {
    raw,
    name,
    rawValue,
    value,
    pair: `${name}=${rawValue}`,
    attributes,
    expires,
    masked: masked.join("; "),
  };
}

/** The HMAC-SHA256 signature express-session puts after the ID: base64 without padding. */
export function signature(id: string, secret: string = SECRET): string {
  return createHmac("sha256", secret).update(id).digest("base64").replace(/=+$/, "");
}

/** A cookie header value exactly as express-session would send it back for `id`. */
export function signedCookie(id: string, secret: string = SECRET, name = COOKIE_NAME): string {
  return `${name}=${encodeURIComponent(`s:${id}.${signature(id, secret)}`)}`;
}

/** The ID in an "s:<id>.<sig>" value (split at the last dot, as cookie-signature does). */
export function sidOf(value: string): string | undefined {
  if (!value.startsWith("s:")) return undefined;
  const dot = value.lastIndexOf(".");
  return dot <= 2 ? undefined : value.slice(2, dot);
}

/** Whether "s:<id>.<sig>" carries a valid signature for `secret`. */
export function verifies(value: string, secret: string = SECRET): boolean {
  const id = sidOf(value);
  return id !== undefined && value === `s:${id}.${signature(id, secret)}`;
}

/**
 * A duration in ms, give or take 50: express-session's originalMaxAge drifts by a millisecond or
 * two each time the cookie is touched (it is recomputed as expires - now).
 */
export const aboutMs = (ms: number): number => expect.closeTo(ms, -2) as unknown as number;

export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the standard routes answer: the session as the route saw it. */
export interface RouteSnapshot {
  hasSession: boolean;
  sessionID: string | null;
  id: string | null;
  views: number | null;
  cookie: {
    maxAge: number | null;
    originalMaxAge: number | null;
    expires: string | null;
    secure: boolean | "auto" | null;
    httpOnly: boolean | null;
    path: string | null;
  } | null;
  [key: string]: unknown;
}

export function sess(req: Request): SessionRequest {
  return req as unknown as SessionRequest;
}

export function snapshot(req: Request, extra: Record<string, unknown> = {}): RouteSnapshot {
  const r = sess(req);
  const s = r.session ?? undefined;
  const c = s?.cookie;
  return {
    hasSession: Boolean(s),
    sessionID: r.sessionID ?? null,
    id: s?.id ?? null,
    views: typeof s?.views === "number" ? s.views : null,
    cookie: c
      ? {
          maxAge: c.maxAge ?? null,
          originalMaxAge: c.originalMaxAge ?? null,
          expires: c.expires instanceof Date ? c.expires.toISOString() : null,
          secure: c.secure ?? null,
          httpOnly: c.httpOnly ?? null,
          path: c.path ?? null,
        }
      : null,
    ...extra,
  };
}

function session(req: Request): SessionLike {
  const s = sess(req).session;
  if (!s) throw new Error("no req.session");
  return s;
}

function bump(req: Request): void {
  const s = session(req);
  s.views = (typeof s.views === "number" ? s.views : 0) + 1;
}

/**
 * The standard routes. Each says what an app does with the session; the JSON answer is the
 * session as the route left it (see RouteSnapshot).
 */
function sessionRoutes(): express.Router {
  const r = express.Router();

  // A page that never looks at the session.
  r.get("/noop", (_req, res) => {
    res.send("noop");
  });

  // A page that reads the session.
  r.get("/read", (req, res) => {
    res.json(snapshot(req));
  });

  // A page that changes the session: counts views.
  r.get("/write", (req, res) => {
    bump(req);
    res.json(snapshot(req));
  });

  // Login-style: a new session ID (?write=1 also stores something in the new session).
  r.get("/regenerate", (req, res, next) => {
    const oldId = sess(req).sessionID ?? null;
    session(req).regenerate((err) => {
      if (err) return next(err);
      if (req.query.write) bump(req);
      res.json(snapshot(req, { oldId }));
    });
  });

  // Logout: the session is destroyed.
  r.get("/destroy", (req, res, next) => {
    const oldId = sess(req).sessionID ?? null;
    session(req).destroy((err) => {
      if (err) return next(err);
      res.json(snapshot(req, { oldId }));
    });
  });

  // Local changes are thrown away by re-reading the store.
  r.get("/reload", (req, res) => {
    const s = session(req);
    s.views = -1;
    s.reload((err) => {
      if (err) {
        res.status(500).json(snapshot(req, { reloadError: String(err) }));
        return;
      }
      res.json(snapshot(req));
    });
  });

  // An explicit save mid-request (?after=1 changes the session again after saving).
  r.get("/save", (req, res, next) => {
    bump(req);
    session(req).save((err) => {
      if (err) return next(err);
      if (req.query.after) bump(req);
      res.json(snapshot(req));
    });
  });

  // Session.touch(): maxAge back to its original value.
  r.get("/touch", (req, res) => {
    const before = session(req).cookie.maxAge ?? null;
    session(req).touch();
    res.json(snapshot(req, { before }));
  });

  // req.session = null (?how=delete: delete req.session; ?write=1 changes it first).
  r.get("/unset", (req, res) => {
    if (req.query.write) bump(req);
    const r2 = sess(req);
    if (req.query.how === "delete") delete r2.session;
    else r2.session = null;
    res.send("unset");
  });

  // "Remember me": this session's cookie gets its own maxAge.
  r.get("/set-maxage", (req, res) => {
    session(req).cookie.maxAge = Number(req.query.ms);
    if (req.query.write) bump(req);
    res.json(snapshot(req));
  });

  // The headers go out before the session changes.
  r.get("/headers-sent", (req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    bump(req);
    res.end("sent");
  });

  // A streamed answer; the session changes between chunks.
  r.get("/stream", (req, res) => {
    res.setHeader("content-type", "text/plain");
    res.write("a");
    bump(req);
    setTimeout(() => {
      res.write("b");
      res.end("c");
    }, 20);
  });

  // A body with an explicit Content-Length.
  r.get("/content-length", (req, res) => {
    bump(req);
    const body = "x".repeat(1000);
    res.setHeader("content-type", "text/plain");
    res.setHeader("content-length", String(body.length));
    res.end(body);
  });

  // A slow page (?ms=), optionally setting a key (?set=name) just before answering.
  r.get("/slow", (req, res) => {
    setTimeout(
      () => {
        const key = req.query.set;
        if (typeof key === "string") session(req)[key] = 1;
        res.json(snapshot(req, { data: JSON.parse(JSON.stringify(sess(req).session ?? null)) }));
      },
      Number(req.query.ms ?? 100),
    );
  });

  return r;
}
