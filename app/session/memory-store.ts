import { dateToJson } from "./json-date.js";
import { Store } from "./store.js";
import type { ErrorCallback, GetCallback, StoredSessionData } from "./types.js";

/**
 * What the store knows about one entry of `sessions` without parsing it again: its expiry, and
 * where its cookie's JSON ends when the JSON starts with the cookie (as touch() writes it).
 * Valid only while `sessions[sid]` is still this very `json` string: code written for
 * express-session may replace entries of `sessions` directly, and then the entry is rebuilt.
 */
interface Entry {
  json: string;
  /** ms since epoch; Infinity for a browser-session cookie (or none). */
  expires: number;
  /** Index in `json` just past the cookie's value, when `json` starts with `{"cookie":`. */
  cookieEnd: number | undefined;
}

const COOKIE_PREFIX = '{"cookie":';

function expiryOf(cookie: unknown): number {
  const expires = (cookie as { expires?: unknown } | null | undefined)?.expires;
  if (!expires) return Number.POSITIVE_INFINITY;
  const ms =
    expires instanceof Date ? expires.valueOf() : new Date(expires as string | number).valueOf();
  // An unreadable date never expires, as in express-session's MemoryStore.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/**
 * `JSON.stringify(cookie)`, with its expiry written by dateToJson: a Cookie's toJSON() gives its
 * `expires` as a Date, which JSON.stringify would format by the slow path.
 */
function cookieToJson(cookie: unknown): string | undefined {
  const data =
    typeof (cookie as { toJSON?: unknown } | null | undefined)?.toJSON === "function"
      ? (cookie as { toJSON(): unknown }).toJSON()
      : cookie;
  const expires = (data as { expires?: unknown } | null | undefined)?.expires;
  if (expires instanceof Date && Object.getPrototypeOf(data) === Object.prototype) {
    return JSON.stringify({ ...(data as object), expires: dateToJson(expires) });
  }
  return JSON.stringify(cookie);
}

/**
 * Sessions in process memory, kept as JSON strings so every read is a fresh copy. Expired
 * sessions are dropped when read. For development and tests only: it grows with every visitor
 * and is not shared between processes.
 *
 * It touches on every request (as express-session does), so a touch must be cheap: the expiry
 * and the cookie's place in the JSON are remembered, and a touch splices the new cookie into the
 * JSON instead of parsing and re-serialising the whole session.
 */
export class MemoryStore extends Store {
  sessions: Record<string, string> = Object.create(null);
  readonly #entries = new Map<string, Entry>();

  override get(sid: string, callback: GetCallback): void {
    const session = this.#read(sid);
    setImmediate(callback, null, session);
  }

  override set(sid: string, session: object, callback?: ErrorCallback): void {
    this.sessions[sid] = JSON.stringify(session);
    if (callback) setImmediate(callback);
  }

  /**
   * [beyond] `set`, only while the session is still here (see Store#update). The write itself is
   * `this.set`, so a wrapper around the instance's `set` (a spy, logging, metrics) sees every
   * save, as it does with express-session's MemoryStore.
   */
  override update(sid: string, session: object, callback?: ErrorCallback): void {
    const json = this.sessions[sid];
    if (json !== undefined && this.#live(sid, json)) {
      this.set(sid, session, callback);
    } else if (callback) {
      setImmediate(callback);
    }
  }

  override destroy(sid: string, callback?: ErrorCallback): void {
    delete this.sessions[sid];
    this.#entries.delete(sid);
    if (callback) setImmediate(callback);
  }

  /** Keeps the stored data, takes the new cookie (and so the new expiry). */
  override touch(sid: string, session: { cookie?: unknown }, callback?: ErrorCallback): void {
    const json = this.sessions[sid];
    const entry = json === undefined ? undefined : this.#live(sid, json);
    const cookieJson = entry && cookieToJson(session.cookie);
    if (entry && cookieJson !== undefined) {
      const rest =
        entry.cookieEnd !== undefined ? entry.json.slice(entry.cookieEnd) : this.#restOf(entry);
      this.#write(sid, COOKIE_PREFIX + cookieJson + rest, session.cookie, cookieJson.length);
    } else if (entry) {
      // No cookie to splice in (it serialises to nothing): what JSON.stringify would keep.
      const current = JSON.parse(entry.json) as Record<string, unknown>;
      current.cookie = session.cookie;
      this.sessions[sid] = JSON.stringify(current);
      this.#entries.delete(sid);
    }
    if (callback) setImmediate(callback);
  }

  override all(
    callback: (err: unknown, sessions?: Record<string, StoredSessionData>) => void,
  ): void {
    const sessions: Record<string, StoredSessionData> = Object.create(null);
    for (const sid of Object.keys(this.sessions)) {
      const session = this.#read(sid);
      if (session) sessions[sid] = session;
    }
    setImmediate(callback, null, sessions);
  }

  override clear(callback?: ErrorCallback): void {
    this.sessions = Object.create(null);
    this.#entries.clear();
    if (callback) setImmediate(callback);
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    this.all((err, sessions) => callback(err, sessions ? Object.keys(sessions).length : 0));
  }

  /** A fresh copy of the session, or undefined when there is none or it has expired. */
  #read(sid: string): StoredSessionData | undefined {
    const json = this.sessions[sid];
    if (json === undefined) {
      this.#entries.delete(sid);
      return undefined;
    }
    const known = this.#entries.get(sid);
    if (known?.json === json) {
      return this.#expired(sid, known) ? undefined : (JSON.parse(json) as StoredSessionData);
    }
    const session = JSON.parse(json) as StoredSessionData;
    return this.#expired(sid, this.#remember(sid, json, session)) ? undefined : session;
  }

  /** The entry for `sessions[sid] === json`, or undefined (and dropped) if it has expired. */
  #live(sid: string, json: string): Entry | undefined {
    const known = this.#entries.get(sid);
    const entry =
      known?.json === json
        ? known
        : this.#remember(sid, json, JSON.parse(json) as StoredSessionData);
    return this.#expired(sid, entry) ? undefined : entry;
  }

  /** A new entry for `json`, parsed as `session`: its expiry, its cookie's place not yet known. */
  #remember(sid: string, json: string, session: StoredSessionData | null): Entry {
    const entry: Entry = { json, expires: expiryOf(session?.cookie), cookieEnd: undefined };
    this.#entries.set(sid, entry);
    return entry;
  }

  /** The JSON after the cookie, starting with "," or "}", for an entry not yet spliced. */
  #restOf(entry: Entry): string {
    const { cookie: _cookie, ...rest } = JSON.parse(entry.json) as Record<string, unknown>;
    const json = JSON.stringify(rest);
    return json === "{}" ? "}" : `,${json.slice(1)}`;
  }

  #write(sid: string, json: string, cookie: unknown, cookieLength: number): void {
    this.sessions[sid] = json;
    const entry = this.#entries.get(sid) as Entry;
    entry.json = json;
    entry.expires = expiryOf(cookie);
    entry.cookieEnd = COOKIE_PREFIX.length + cookieLength;
  }

  #expired(sid: string, entry: Entry): boolean {
    if (entry.expires > Date.now()) return false;
    delete this.sessions[sid];
    this.#entries.delete(sid);
    return true;
  }
}
