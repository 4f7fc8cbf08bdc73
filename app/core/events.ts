import type { Request } from "express";

/**
 * Something that happened to an account (a sign-in, a password change, a passkey added), told
 * to whichever features listen (the activity trail stores them). Core kinds are below; a
 * feature names its own (`passkey_added`) and gives the catalogue key that describes each
 * (FeatureParts.eventKinds).
 */
export interface AccountEvent {
  userId: string;
  kind: string;
  /** How a sign-in was made ("password", "passkey", "oidc", "password+2fa", ...). */
  method?: string;
  /** Where the time, address and browser come from. */
  req: Request;
}

export type EventListener = (event: AccountEvent) => Promise<void>;

/** An event as a feature that keeps them stored it (FeatureParts.eventLog). */
export interface RecordedEvent {
  kind: string;
  method: string | null;
  ip: string | null;
  createdAt: Date;
}

/** A feature's store of events: a user's most recent, newest first. */
export type EventLog = (userId: string, limit: number) => Promise<RecordedEvent[]>;

export interface Events {
  record(event: AccountEvent): Promise<void>;
  /** The user's most recent events, from the feature that keeps them (none without one). */
  recent(userId: string, limit: number): Promise<RecordedEvent[]>;
}

/** Tells each listener in turn; with none (no activity feature), recording costs nothing. */
export function createEvents(
  listeners: readonly EventListener[],
  logs: readonly EventLog[] = [],
): Events {
  return {
    async record(event) {
      for (const listener of listeners) await listener(event);
    },
    async recent(userId, limit) {
      const log = logs[0];
      return log ? log(userId, limit) : [];
    },
  };
}

/**
 * The kinds the core records, and the catalogue key (locales/*.json, "events.*") of how the
 * activity trail says them: whoever shows an event translates it with `t()`.
 */
export const CORE_EVENT_KINDS: Record<string, string> = {
  sign_in: "events.sign_in",
  sign_in_failed: "events.sign_in_failed",
  sign_out: "events.sign_out",
  session_revoked: "events.session_revoked",
  other_sessions_revoked: "events.other_sessions_revoked",
  password_changed: "events.password_changed",
  password_reset: "events.password_reset",
  email_change_requested: "events.email_change_requested",
  email_changed: "events.email_changed",
  email_verified: "events.email_verified",
  unproven_access_removed: "events.unproven_access_removed",
  sessions_over_limit_ended: "events.sessions_over_limit_ended",
};
