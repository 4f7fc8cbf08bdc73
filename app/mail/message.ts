import { Eta } from "eta";
import { viewsDir } from "../paths.js";

/**
 * What a mail says, as data: the same words become the plain-text part and the HTML part.
 * The HTML is an Eta template with every value escaped, no remote images, no scripts; the
 * link is in both parts, in the HTML also as plain text.
 */
export interface MailContent {
  subject: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Smaller print after the action ("If this wasn't you, ..."). */
  footer?: string[];
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true });

/** The mail as sent, signed with the app's name (APP_NAME, escaped in the HTML part like any value). */
export function renderMail(content: MailContent, appName: string): RenderedMail {
  const footer = content.footer ?? [];
  const text = [
    ...content.paragraphs,
    ...(content.action ? [`${content.action.label}: ${content.action.url}`] : []),
    ...footer,
    `— ${appName}`,
  ].join("\n\n");
  const html = eta.render("./mail/message", { ...content, footer, appName });
  return { subject: content.subject, text: `${text}\n`, html };
}
