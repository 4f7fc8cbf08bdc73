import type { EventEmitter } from "node:events";
import type { RequestHandler } from "express";
import expressSession from "express-session";

/**
 * The two session middlewares the suite compares: express-session (the reference) and ours
 * (app/session). Both are seen through the loose shapes below, so one scenario can run
 * against either without leaning on either package's global `Express.Request` typing.
 *
 * SESSION_IMPL=express-session (or =ours) restricts the comparison runs to one side; by default
 * both run, and a missing or broken app/session fails the run loudly instead of being skipped.
 */

export type Callback = (err?: unknown) => void;

/** A session as a store keeps it: plain JSON. */
export interface StoredSession {
  cookie?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CookieLike {
  maxAge: number | null | undefined;
  originalMaxAge: number | null | undefined;
  expires: Date | null | undefined;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean | "auto";
  domain?: string;
  sameSite?: boolean | string;
  partitioned?: boolean;
  priority?: string;
  readonly data: Record<string, unknown>;
  toJSON(): Record<string, unknown>;
  serialize(name: string, value: string): string;
}

export interface SessionLike {
  readonly id: string;
  cookie: CookieLike;
  regenerate(callback?: Callback): unknown;
  destroy(callback?: Callback): unknown;
  reload(callback?: Callback): unknown;
  save(callback?: Callback): unknown;
  touch(): unknown;
  [key: string]: unknown;
}

/** What the middleware puts on a request. */
export interface SessionRequest {
  session?: SessionLike | null;
  sessionID?: string;
  sessionStore?: StoreLike;
  [key: string]: unknown;
}

export interface StoreLike extends EventEmitter {
  get(sid: string, callback: (err: unknown, session?: StoredSession | null) => void): void;
  set(sid: string, session: object, callback?: Callback): void;
  destroy(sid: string, callback?: Callback): void;
  touch?(sid: string, session: object, callback?: Callback): void;
  all?(callback: (err: unknown, sessions?: unknown) => void): void;
  clear?(callback?: Callback): void;
  length?(callback: (err: unknown, length?: number) => void): void;
  regenerate?(req: object, callback: Callback): void;
  load?(sid: string, callback: (err?: unknown, session?: SessionLike) => void): void;
  createSession?(req: object, data: StoredSession): SessionLike;
}

/** The options both middlewares accept, plus ours' [beyond] extras (ignored by express-session). */
export interface AnySessionOptions {
  secret?: string | string[];
  name?: string;
  key?: string;
  cookie?: Record<string, unknown>;
  genid?: (req: never) => string | Promise<string>;
  proxy?: boolean;
  resave?: boolean;
  rolling?: boolean;
  saveUninitialized?: boolean;
  store?: StoreLike;
  unset?: string;
  maxLifetime?: number;
  touchAfter?: number;
  hashStoreKeys?: boolean;
}

export interface SessionModule {
  (options?: AnySessionOptions): RequestHandler;
  Store: new (options?: unknown) => StoreLike;
  MemoryStore: new () => StoreLike & {
    all(callback: (err: unknown, sessions?: unknown) => void): void;
    clear(callback?: Callback): void;
    length(callback: (err: unknown, length?: number) => void): void;
  };
  Cookie: new (options?: unknown) => CookieLike;
  Session: new (req: object, data?: object) => SessionLike;
}

export type ImplName = "express-session" | "ours";

export interface Impl {
  name: ImplName;
  session: SessionModule;
}

const wanted = (process.env.SESSION_IMPL ?? "express-session,ours").split(",").map((s) => s.trim());

export const reference: Impl = {
  name: "express-session",
  session: expressSession as unknown as SessionModule,
};

async function loadOurs(): Promise<Impl | undefined> {
  try {
    const mod = await import("../../app/session/index.js");
    return { name: "ours", session: mod.default as unknown as SessionModule };
  } catch (err) {
    if (wanted.includes("ours")) throw err;
    return undefined;
  }
}

const oursOrUndefined = await loadOurs();

/** Ours, for the [beyond] tests that only it can pass. Throws when SESSION_IMPL excludes it. */
export function ours(): Impl {
  if (!oursOrUndefined) throw new Error("app/session is not loaded (SESSION_IMPL excludes it)");
  return oursOrUndefined;
}

export const oursLoaded = oursOrUndefined !== undefined && wanted.includes("ours");

/** The implementations a comparison scenario runs against, as `describe.each` rows. */
export const implementations: Array<[ImplName, Impl]> = [reference, oursOrUndefined]
  .filter((impl): impl is Impl => impl !== undefined && wanted.includes(impl.name))
  .map((impl) => [impl.name, impl]);
