import { type TimeView, timeView } from "../http/time-format.js";
import { deviceName } from "../http/user-agent.js";
import type { StoredEvent } from "./list.js";
import type { EventKind, SignInMethod } from "./record.js";

/** What happened, as the security page says it: "Signed in with a passkey". */
const WHAT: Record<EventKind, string> = {
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
  two_factor_enabled: "Turned on two-factor authentication",
  two_factor_disabled: "Turned off two-factor authentication",
  recovery_code_used: "Used a recovery code",
  passkey_added: "Added a passkey",
  passkey_removed: "Removed a passkey",
  identity_linked: "Linked a sign-in provider",
  identity_unlinked: "Unlinked a sign-in provider",
  unproven_access_removed: "Removed the ways in added before the address was confirmed",
  sessions_over_limit_ended:
    "Ended the least recently used sessions (too many at once) on signing in",
};

const HOW: Record<SignInMethod, string> = {
  password: "with a password",
  "password+2fa": "with a password and a second factor",
  passkey: "with a passkey",
  oidc: "with a sign-in provider",
  "oidc+2fa": "with a sign-in provider and a second factor",
};

/** One line of "Recent security activity": plain text (the template escapes it) and a time. */
export interface EventLine {
  kind: EventKind;
  text: string;
  ip: string | null;
  time: TimeView;
}

/** "Signed in with a passkey from Firefox on macOS" and its time, "3 minutes ago". */
export function describeEvent(event: StoredEvent, now: Date = new Date()): EventLine {
  const how = event.method ? ` ${HOW[event.method]}` : "";
  return {
    kind: event.kind,
    text: `${WHAT[event.kind]}${how} from ${deviceName(event.userAgent ?? undefined)}`,
    ip: event.ip,
    time: timeView(event.createdAt, now),
  };
}
