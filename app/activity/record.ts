import type { Request } from "express";
import type pg from "pg";

/** Every kind of security event; the table's check constraint lists the same (011). */
export const EVENT_KINDS = [
  "sign_in",
  "sign_in_failed",
  "sign_out",
  "session_revoked",
  "other_sessions_revoked",
  "password_changed",
  "password_reset",
  "email_change_requested",
  "email_changed",
  "email_verified",
  "two_factor_enabled",
  "two_factor_disabled",
  "recovery_code_used",
  "passkey_added",
  "passkey_removed",
  "identity_linked",
  "identity_unlinked",
  "unproven_access_removed",
  "sessions_over_limit_ended",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** How a sign-in was made; "+2fa": a second factor was asked for too. */
export type SignInMethod = "password" | "password+2fa" | "passkey" | "oidc" | "oidc+2fa";

export interface SecurityEvent {
  userId: string;
  kind: EventKind;
  method?: SignInMethod;
  /** Where the time, address and browser come from. Nothing else of it is stored. */
  req: Request;
}

// A user-agent string is the client's to choose: stored, but never longer than this.
const MAX_USER_AGENT = 200;

/** Stores one event: its kind, the sign-in method, the client's address and browser, now. */
export async function recordEvent(pool: pg.Pool, event: SecurityEvent): Promise<void> {
  const userAgent = event.req.get("user-agent")?.slice(0, MAX_USER_AGENT) ?? null;
  await pool.query(
    `insert into security_events (user_id, kind, method, ip, user_agent)
     values ($1, $2, $3, $4, $5)`,
    [event.userId, event.kind, event.method ?? null, event.req.ip ?? null, userAgent],
  );
}
