import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseCookies } from "cookie";
import type { Request } from "express";
import i18next, { type TFunction } from "i18next";
import Negotiator from "negotiator";
import { projectRoot } from "../paths.js";

/**
 * The app's languages: one catalogue per language in `locales/<tag>.json` (a BCP 47 tag), read
 * once at start-up into i18next. i18next gives us lookups with a fallback to English, `{{name}}`
 * interpolation and plurals by CLDR's rules (`_one`, `_other`: Intl.PluralRules), and it is the
 * most used and maintained library for this in Node. Catalogue strings are plain text: nothing
 * is escaped here (`escapeValue: false`) because every place a string goes escapes it there
 * (Eta's `<%= %>` in pages and mails, JSON in answers).
 *
 * What the app says is a Message: a catalogue key, with values for its `{{placeholders}}`. Errors,
 * flash messages, field errors and mails carry Messages and are translated when they are
 * answered, in the language of whoever reads them.
 */

export const DEFAULT_LOCALE = "en";
/** The language switcher's cookie (a contract name, unprefixed: it is not a secret). */
export const LANG_COOKIE = "lang";
/** The longest tag a catalogue file, a cookie or the database column may hold. */
const MAX_LOCALE_LENGTH = 35;

export type MessageValues = Record<string, string | number | Date | undefined>;
/** A catalogue key, or a key with the values its placeholders need. */
export type Message = string | { key: string; values?: MessageValues };

/** A Message with values: `msg("errors.tooMany", { count: 3 })`. */
export const msg = (key: string, values?: MessageValues): Message =>
  values === undefined ? key : { key, values };

const catalogueDir = join(projectRoot, "locales");

type Catalogue = Record<string, unknown>;

function readCatalogues(): Map<string, Catalogue> {
  const catalogues = new Map<string, Catalogue>();
  for (const file of readdirSync(catalogueDir).sort()) {
    if (!file.endsWith(".json")) continue;
    const tag = file.slice(0, -".json".length);
    catalogues.set(tag, JSON.parse(readFileSync(join(catalogueDir, file), "utf8")) as Catalogue);
  }
  if (!catalogues.has(DEFAULT_LOCALE)) throw new Error(`locales/${DEFAULT_LOCALE}.json is missing`);
  return catalogues;
}

const catalogues = readCatalogues();

/** Every language a catalogue exists for, English first. */
export const LOCALES: readonly string[] = [
  DEFAULT_LOCALE,
  ...[...catalogues.keys()].filter((tag) => tag !== DEFAULT_LOCALE),
];

const i18n = i18next.createInstance();
void i18n.init({
  initAsync: false,
  resources: Object.fromEntries(
    [...catalogues].map(([tag, catalogue]) => [tag, { translation: catalogue }]),
  ),
  supportedLngs: [...LOCALES],
  fallbackLng: DEFAULT_LOCALE,
  // "zh-CN" is a catalogue of its own, never "zh" then "CN".
  load: "currentOnly",
  // One namespace: a ":" in a key is just a character.
  nsSeparator: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  returnEmptyString: false,
});

/** Translates a Message (or a key and its values) in one language. */
export type Translate = (message: Message, values?: MessageValues) => string;

const fixed = new Map<string, TFunction>(LOCALES.map((tag) => [tag, i18n.getFixedT(tag)]));

/** The translator for `locale` (English for a language without a catalogue). */
export function translator(locale: string): Translate {
  const t = fixed.get(locale) ?? (fixed.get(DEFAULT_LOCALE) as TFunction);
  return (message, values) =>
    typeof message === "string"
      ? (t(message, values ?? {}) as string)
      : (t(message.key, { ...message.values, ...values }) as string);
}

/**
 * The supported language a tag asks for, if any: exact tags first ("zh-CN"), then by language
 * and script, so zh, zh-Hans, zh-SG and zh-Hans-CN all read Simplified Chinese; zh-TW and
 * zh-Hant (Traditional) do not. English of any region is English.
 */
export function supportedLocale(tag: unknown): string | undefined {
  if (typeof tag !== "string" || tag.length === 0 || tag.length > MAX_LOCALE_LENGTH)
    return undefined;
  const exact = LOCALES.find((locale) => locale.toLowerCase() === tag.toLowerCase());
  if (exact) return exact;
  let wanted: Intl.Locale;
  try {
    wanted = new Intl.Locale(tag).maximize();
  } catch {
    return undefined; // not a well-formed tag
  }
  return MAXIMIZED.find(
    ({ ours }) => ours.language === wanted.language && ours.script === wanted.script,
  )?.locale;
}

// Each of ours with its likely script: zh-CN is zh-Hans-CN, en is en-Latn-US.
const MAXIMIZED = LOCALES.map((locale) => ({ locale, ours: new Intl.Locale(locale).maximize() }));

/** The supported language an Accept-Language header prefers (negotiator: by q, then order). */
function fromAcceptLanguage(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_HEADER_LENGTH) return undefined;
  for (const tag of new Negotiator({ headers: { "accept-language": header } }).languages()) {
    if (tag === "*") return undefined;
    const locale = supportedLocale(tag);
    if (locale) return locale;
  }
  return undefined;
}

function fromCookie(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_HEADER_LENGTH * 16) return undefined;
  try {
    return supportedLocale(parseCookies(header)[LANG_COOKIE]);
  } catch {
    return undefined;
  }
}

/** Longer headers are not read for a language (a client's to choose; nothing needs more). */
const MAX_HEADER_LENGTH = 1000;

/**
 * A visitor's language from a request's headers: the `lang` cookie (the footer's switcher), else
 * Accept-Language; undefined when neither names one of ours. Also for requests Node's parser
 * refused, which never become an Express request (app/http/client-errors.ts).
 */
export function visitorLocale(headers: {
  cookie?: string | undefined;
  "accept-language"?: string | undefined;
}): string | undefined {
  return fromCookie(headers.cookie) ?? fromAcceptLanguage(headers["accept-language"]);
}

const chosen = new WeakMap<Request, { userId: string | undefined; locale: string }>();

/**
 * The request's language: the logged-in user's saved preference, else the `lang` cookie (the
 * footer's switcher), else Accept-Language, else English. Worked out once per request and user
 * (a login in the middle of a request changes it).
 */
export function localeOf(req: Request): string {
  const user = req.user as { id: string; locale?: string | null } | undefined;
  const memo = chosen.get(req);
  if (memo && memo.userId === user?.id) return memo.locale;
  const locale = supportedLocale(user?.locale) ?? visitorLocale(req.headers) ?? DEFAULT_LOCALE;
  chosen.set(req, { userId: user?.id, locale });
  return locale;
}

/** A mail's language: the recipient's saved preference, else the language of the request that sent it. */
export function mailLocale(
  recipient: { locale?: string | null } | undefined,
  req: Request | undefined,
): string {
  return supportedLocale(recipient?.locale) ?? (req ? localeOf(req) : DEFAULT_LOCALE);
}

/** Each language by its own name ("English", "简体中文"): the switchers' options. */
export const languageNames: ReadonlyArray<{ tag: string; name: string }> = LOCALES.map((tag) => ({
  tag,
  name: translator(tag)("language.name"),
}));
