import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_APP_NAME } from "../../app/config.js";
import { projectRoot } from "../../app/paths.js";

/**
 * Issue 30: finding English left in a page that should be in another language. Two nets:
 *
 * 1. Every English sentence of locales/en.json (its `{{placeholders}}` as wildcards), except
 *    strings another catalogue keeps as they are (product names, "Postgres") and one-word ones.
 * 2. Any run of three or more English-looking words in a row (ASCII letters, each with a
 *    lowercase letter, so base32 secrets and acronyms are not words): hard-coded English that
 *    never went into the catalogue.
 *
 * Minus what is meant to stay: the app's name, email addresses, URLs, the tech names of the
 * footer, and code samples (`<code>`, dropped by visibleText).
 */

type Leaves = Map<string, string>;

function leavesOf(value: unknown, prefix = "", into: Leaves = new Map()): Leaves {
  if (typeof value === "string") into.set(prefix, value);
  else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      leavesOf(inner, prefix === "" ? key : `${prefix}.${key}`, into);
    }
  }
  return into;
}

const readCatalogue = (tag: string): Leaves =>
  leavesOf(JSON.parse(readFileSync(join(projectRoot, "locales", `${tag}.json`), "utf8")));

/** Phrases that are the same in every language: never reported. */
export const ALLOWED_PHRASES: readonly string[] = [
  DEFAULT_APP_NAME,
  "Express 5",
  "Passport",
  "Postgres",
  "Node.js",
  "English",
  "Google Authenticator",
  "Microsoft Authenticator",
  "GitHub",
  "Apple",
  "Microsoft",
  "Google",
  "Chrome",
  "Chromium",
  "Firefox",
  "Safari",
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const words = (text: string) => text.replace(/\{\{[^}]*\}\}/g, " ").match(/[A-Za-z]+/g) ?? [];

/** A pattern for an English catalogue string: placeholders match anything short, spaces any space. */
function patternFor(english: string): RegExp {
  const parts = english
    .split(/(\{\{[^}]*\}\})/)
    .map((part) =>
      part.startsWith("{{") ? "[\\s\\S]{0,120}?" : escapeRegExp(part).replace(/\s+/g, "\\s+"),
    );
  const start = /^[A-Za-z0-9]/.test(english) ? "\\b" : "";
  const end = /[A-Za-z0-9]$/.test(english) ? "\\b" : "";
  return new RegExp(`${start}${parts.join("")}${end}`, "g");
}

interface Sentence {
  key: string;
  english: string;
  pattern: RegExp;
}

let sentences: Sentence[] | undefined;

/** The English strings worth looking for, longest first (so a sentence wins over its part). */
function englishSentences(): Sentence[] {
  if (sentences) return sentences;
  const en = readCatalogue("en");
  const others = ["zh-CN"].map(readCatalogue);
  sentences = [...en]
    .filter(
      ([key, english]) => words(english).length >= 2 && others.every((o) => o.get(key) !== english),
    )
    .map(([key, english]) => ({ key, english, pattern: patternFor(english) }))
    .sort((a, b) => b.english.length - a.english.length);
  return sentences;
}

const EMAIL = /[^\s<>()"',;:]+@[^\s<>()"',;:]+\.[A-Za-z]{2,}/g;
const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/\S+|\/[\w./?=&%-]+/g;
/** A word: ASCII letters with at least one lowercase (with inner ' or -: "don't", "sign-in"). */
const WORD = `[A-Za-z]*[a-z][A-Za-z]*(?:['’-][A-Za-z]+)*`;
const RUN = new RegExp(String.raw`\b${WORD}(?:[^\S\n]+${WORD}){2,}\b`, "g");

/**
 * The English in `text` (a page's visible text): each catalogue sentence found, as
 * `"<the text>" (en: <key>)`, and each other run of three or more English words, as
 * `"<the run>"`. Empty when the page is in another language.
 */
export function englishLeftIn(text: string, options: { allow?: readonly string[] } = {}): string[] {
  const found: string[] = [];
  // Lines stay apart (blocks, attributes): a run of words never joins two of them.
  let rest = text.replace(/[^\S\n]+/g, " ");
  for (const phrase of [...ALLOWED_PHRASES, ...(options.allow ?? [])]) {
    rest = rest.replace(new RegExp(`\\b${escapeRegExp(phrase)}\\b`, "g"), " ");
  }
  rest = rest.replace(EMAIL, " ").replace(URL_LIKE, " ");
  for (const sentence of englishSentences()) {
    sentence.pattern.lastIndex = 0;
    rest = rest.replace(sentence.pattern, (match) => {
      found.push(`"${match.trim()}" (en: ${sentence.key})`);
      return " ";
    });
  }
  for (const match of rest.matchAll(RUN)) found.push(`"${match[0]}"`);
  // A Message printed as it is, not translated.
  if (rest.includes("[object Object]")) found.push('"[object Object]"');
  return [...new Set(found)];
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  middot: "·",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  rsquo: "’",
  lsquo: "‘",
  copy: "©",
};

/** Decodes HTML character references (named ones the app uses, and numeric ones). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code =
        ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** Tags that start or end a block of text (a new line in what is seen). */
const BLOCK_TAG =
  /<\/?(p|div|li|ul|ol|h[1-6]|dt|dd|dl|td|th|tr|table|br|hr|form|label|button|option|select|section|header|footer|nav|main|article|aside|fieldset|legend|summary|details|figcaption|input|textarea)\b[^>]*>/gi;

const SEEN_ATTRIBUTES = ["title", "aria-label", "alt", "placeholder"];

/** The attribute values of a tag people see or hear (title, aria-label, alt, placeholder, a button input's value). */
function seenAttributes(tag: string): string[] {
  const values: string[] = [];
  const attributes = [...tag.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map(
    (m) => [(m[1] as string).toLowerCase(), m[2] ?? m[3] ?? ""] as const,
  );
  const type = attributes.find(([name]) => name === "type")?.[1].toLowerCase();
  const isButtonInput =
    /^<input\b/i.test(tag) && ["submit", "button", "reset"].includes(type ?? "");
  for (const [name, value] of attributes) {
    if (SEEN_ATTRIBUTES.includes(name) || (name === "value" && isButtonInput)) values.push(value);
  }
  return values;
}

/**
 * What a person sees or hears of an HTML page, as text: the title and the body's text without
 * scripts, styles and code samples, entities decoded, plus the attribute values read out or
 * shown (title, aria-label, alt, placeholder, the value of a submit or button input).
 */
export function visibleText(html: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? "";
  const body = (/<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html)
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style|code|template)\b[^>]*>[\s\S]*?<\/\1>/gi, " ");
  const attributes = [...body.matchAll(/<[a-z][^>]*>/gi)].flatMap((m) => seenAttributes(m[0]));
  const text = body.replace(BLOCK_TAG, "\n").replace(/<[^>]*>/g, " ");
  return decodeEntities([title, text, ...attributes].join("\n"))
    .replace(/[^\S\n]+/g, " ")
    .replace(/\s*\n\s*/g, "\n")
    .trim();
}

/** CJK ideographs (the page is in Chinese, not only free of English). */
export const hasChinese = (text: string): boolean => /\p{Script=Han}/u.test(text);

/**
 * One section of the catalogues (a feature's, e.g. "passkeys"), for a feature's own tests: its
 * English sentences and its keys, to show that none is left on a page, a mail or a message in
 * another language. What englishLeftIn looks for over the whole catalogue, narrowed to what the
 * feature says, and on the raw reply (attributes such as `data-copied`, script messages) rather
 * than only on what is seen.
 */

/** A section's strings in one catalogue, by full key ("passkeys.title"); empty if it has none. */
export function sectionOf(section: string, tag = "en"): Map<string, string> {
  const prefix = `${section}.`;
  return new Map([...readCatalogue(tag)].filter(([key]) => key.startsWith(prefix)));
}

/**
 * The English sentences of a section, as a page shows them: each string's text between its
 * placeholders, trimmed, the pieces of eight characters or more with a space (not "Cookie" or
 * "Added"), minus strings Chinese keeps as they are.
 */
export function englishOfSection(section: string): string[] {
  const zh = sectionOf(section, "zh-CN");
  return [
    ...new Set(
      [...sectionOf(section)]
        .filter(([key, english]) => zh.get(key) !== english)
        .flatMap(([, english]) => english.split(/\{\{[^}]+\}\}/))
        .map((piece) => piece.trim())
        .filter((piece) => piece.length >= 8 && piece.includes(" ")),
    ),
  ];
}

/** The section's English sentences found in `text` (HTML or plain; entities decoded first). */
export function englishOfSectionIn(section: string, text: string): string[] {
  const decoded = decodeEntities(text);
  return englishOfSection(section).filter((sentence) => decoded.includes(sentence));
}

/**
 * The section's keys shown in `text` in place of their strings: each key of the section (plural
 * suffix dropped), and anything shaped like a key of it (`section.a.b`): a key missing from
 * every catalogue shows as itself.
 */
export function keysOfSectionIn(section: string, text: string): string[] {
  const decoded = decodeEntities(text);
  const keys = new Set(
    [...sectionOf(section).keys()].map((key) => key.replace(/_(one|other)$/, "")),
  );
  const shaped = new RegExp(`\\b${escapeRegExp(section)}\\.[a-zA-Z]+\\.[a-zA-Z.]+`, "g");
  return [
    ...new Set([
      ...[...keys].filter((key) => decoded.includes(key)),
      ...[...decoded.matchAll(shaped)].map((match) => match[0]),
    ]),
  ];
}

/**
 * What of a section is left untranslated in `text`: its English sentences (`"<sentence>"`) and
 * its keys (`key <key>`). `expect(untranslatedOfSectionIn("passkeys", body)).toEqual([])`.
 */
export function untranslatedOfSectionIn(section: string, text: string): string[] {
  return [
    ...englishOfSectionIn(section, text).map((sentence) => `"${sentence}"`),
    ...keysOfSectionIn(section, text).map((key) => `key ${key}`),
  ];
}

/**
 * What is wrong with a mail as a Chinese reader gets it: a part (subject, text, HTML) with no
 * Chinese or with English left, or an HTML part not marked lang="zh-CN". Empty when right.
 */
export function chineseMailProblems(
  mail: { subject: string; text: string; html: string },
  allow: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const [part, text] of [
    ["subject", mail.subject],
    ["text", mail.text],
    ["html", visibleText(mail.html)],
  ] as const) {
    if (!hasChinese(text)) problems.push(`${part}: no Chinese`);
    for (const english of englishLeftIn(text, { allow })) problems.push(`${part}: ${english}`);
  }
  if (!mail.html.includes('<html lang="zh-CN">')) problems.push('html: not lang="zh-CN"');
  return problems;
}
