import { Eta } from "eta";
import { DEFAULT_LOCALE, type Message, type Translate, translator } from "../i18n/index.js";
import { viewsDir } from "../paths.js";

/**
 * What a mail says, as data: catalogue Messages, read in the recipient's language when it is
 * sent; the same words become the plain-text part and the HTML part.
 * The HTML is an Eta template with every value escaped, no remote images, no scripts; the
 * link is in both parts, in the HTML also as plain text.
 */
export interface MailContent {
  subject: Message;
  paragraphs: MailText[];
  action?: { label: Message; url: string };
  /** Smaller print after the action ("If this wasn't you, ..."). */
  footer?: MailText[];
}

/**
 * A line of a mail: a Message, or for a line that needs more than one lookup (a list of
 * Messages joined by Intl.ListFormat), a function of the recipient's translator and locale.
 */
export type MailText = Message | ((t: Translate, locale: string) => string);

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true });

/**
 * The mail as sent in `locale`, signed with the app's name (APP_NAME, escaped in the HTML part
 * like any value).
 */
export function renderMail(
  content: MailContent,
  appName: string,
  locale: string = DEFAULT_LOCALE,
): RenderedMail {
  const t = translator(locale);
  const say = (line: MailText) => (typeof line === "function" ? line(t, locale) : t(line));
  const paragraphs = content.paragraphs.map(say);
  const footer = (content.footer ?? []).map(say);
  const action = content.action && { label: t(content.action.label), url: content.action.url };
  const text = [
    ...paragraphs,
    ...(action ? [t("mail.actionLine", { label: action.label, url: action.url })] : []),
    ...footer,
    `— ${appName}`,
  ].join("\n\n");
  const subject = t(content.subject);
  const html = eta.render("./mail/message", {
    subject,
    paragraphs,
    action,
    footer,
    appName,
    lang: locale,
    pasteLink: t("mail.pasteLink"),
  });
  return { subject, text: `${text}\n`, html };
}
