import { Store } from "./store.js";
import type { ErrorCallback, GetCallback, StoredSessionData } from "./types.js";

/**
 * Sessions in process memory, kept as JSON strings so every read is a fresh copy. Expired
 * sessions are dropped when read. For development and tests only: it grows with every visitor
 * and is not shared between processes.
 */
export class MemoryStore extends Store {
  sessions: Record<string, string> = Object.create(null);

  override get(sid: string, callback: GetCallback): void {
    const session = this.#read(sid);
    setImmediate(callback, null, session);
  }

  override set(sid: string, session: object, callback?: ErrorCallback): void {
    this.sessions[sid] = JSON.stringify(session);
    if (callback) setImmediate(callback);
  }

  override destroy(sid: string, callback?: ErrorCallback): void {
    delete this.sessions[sid];
    if (callback) setImmediate(callback);
  }

  /** Keeps the stored data, takes the new cookie (and so the new expiry). */
  override touch(sid: string, session: { cookie?: unknown }, callback?: ErrorCallback): void {
    const current = this.#read(sid);
    if (current) {
      current.cookie = session.cookie as StoredSessionData["cookie"];
      this.sessions[sid] = JSON.stringify(current);
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
    if (callback) setImmediate(callback);
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    this.all((err, sessions) => callback(err, sessions ? Object.keys(sessions).length : 0));
  }

  #read(sid: string): StoredSessionData | undefined {
    const json = this.sessions[sid];
    if (json === undefined) return undefined;
    const session = JSON.parse(json) as StoredSessionData;
    const expires = session.cookie?.expires;
    if (expires && new Date(expires).valueOf() <= Date.now()) {
      delete this.sessions[sid];
      return undefined;
    }
    return session;
  }
}
