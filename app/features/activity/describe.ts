import { type TimeView, timeView } from "../../http/time-format.js";
import { deviceName } from "../../http/user-agent.js";
import { DEFAULT_LOCALE, translator } from "../../i18n/index.js";
import type { StoredEvent } from "./list.js";

/** How each sign-in method is said after the kind: catalogue keys ("with a password"). */
const HOW: Record<string, string> = {
  password: "activity.how.password",
  "password+2fa": "activity.how.passwordTwoFactor",
  passkey: "activity.how.passkey",
  oidc: "activity.how.provider",
  "oidc+2fa": "activity.how.providerTwoFactor",
};

/** One line of "Recent security activity": plain text (the template escapes it) and a time. */
export interface EventLine {
  kind: string;
  text: string;
  ip: string | null;
  time: TimeView;
}

/**
 * "Signed in with a passkey from Firefox on macOS" and its time, "3 minutes ago", in `locale`.
 * `kinds`: how the core and every feature say their kinds, as catalogue keys (a kind no feature
 * names any more: as stored).
 */
export function describeEvent(
  event: StoredEvent,
  kinds: ReadonlyMap<string, string>,
  now: Date = new Date(),
  locale: string = DEFAULT_LOCALE,
): EventLine {
  const t = translator(locale);
  // A feature may say a kind per method: `sign_in:email_link` (its eventKinds).
  const byMethod = event.method ? kinds.get(`${event.kind}:${event.method}`) : undefined;
  const kind = kinds.get(event.kind);
  let what: string;
  if (byMethod !== undefined) what = t(byMethod);
  else {
    const said = kind === undefined ? event.kind : t(kind);
    what = event.method
      ? t("activity.withMethod", {
          what: said,
          how: HOW[event.method]
            ? t(HOW[event.method] as string)
            : t("activity.how.other", { method: event.method }),
        })
      : said;
  }
  return {
    kind: event.kind,
    text: t("activity.line", { what, device: deviceName(event.userAgent ?? undefined, locale) }),
    ip: event.ip,
    time: timeView(event.createdAt, now, locale),
  };
}
