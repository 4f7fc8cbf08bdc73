import type { Request } from "express";

/**
 * Something that happened to an account (a sign-in, a password change, a passkey added), told
 * to whichever features listen (the activity trail stores them). Core kinds are below; a
 * feature names its own (`passkey_added`) and says how to describe them (FeatureParts).
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

/** The kinds the core records, and how the activity trail says them. */
export const CORE_EVENT_KINDS: Record<string, string> = {
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in (wrong password)",
  sign_out: "Signed out",
  session_revoked: "Ended another session",
  other_sessions_revoked: "Logged out everywhere else",
  password_changed: "Changed the password",
  password_reset: "Reset the password",
  email_change_requested: "Asked to change the email address",
  email_changed: "Changed the email address",
  email_verified: "Verified the email address",
  unproven_access_removed: "Removed the ways in added before the address was confirmed",
  sessions_over_limit_ended:
    "Ended the least recently used sessions (too many at once) on signing in",
};
