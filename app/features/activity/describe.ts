import { type TimeView, timeView } from "../../http/time-format.js";
import { deviceName } from "../../http/user-agent.js";
import type { StoredEvent } from "./list.js";

const HOW: Record<string, string> = {
  password: "with a password",
  "password+2fa": "with a password and a second factor",
  passkey: "with a passkey",
  oidc: "with a sign-in provider",
  "oidc+2fa": "with a sign-in provider and a second factor",
};

/** One line of "Recent security activity": plain text (the template escapes it) and a time. */
export interface EventLine {
  kind: string;
  text: string;
  ip: string | null;
  time: TimeView;
}

/**
 * "Signed in with a passkey from Firefox on macOS" and its time, "3 minutes ago". `kinds`: how
 * the core and every feature say their kinds (a kind no feature names any more: as stored).
 */
export function describeEvent(
  event: StoredEvent,
  kinds: ReadonlyMap<string, string>,
  now: Date = new Date(),
): EventLine {
  // A feature may say a kind per method: `sign_in:email_link` (its eventKinds).
  const byMethod = event.method ? kinds.get(`${event.kind}:${event.method}`) : undefined;
  const how = event.method ? ` ${HOW[event.method] ?? `with ${event.method}`}` : "";
  const what = byMethod ?? `${kinds.get(event.kind) ?? event.kind}${how}`;
  return {
    kind: event.kind,
    text: `${what} from ${deviceName(event.userAgent ?? undefined)}`,
    ip: event.ip,
    time: timeView(event.createdAt, now),
  };
}
