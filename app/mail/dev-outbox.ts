import { Router } from "express";
import type { Views } from "../http/views.js";
import { msg } from "../i18n/index.js";
import type { DevOutbox } from "./outbox.js";

/** A mail's text cut into plain runs and links, for the page to show the links clickable. */
function segments(text: string): Array<{ text: string; href?: string }> {
  const parts: Array<{ text: string; href?: string }> = [];
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ text: match[0], href: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/**
 * GET /dev/mail: the development outbox, newest first, each mail readable with its links
 * clickable (the text part; the HTML part as escaped source). Wired only when there is no SMTP
 * server, which production requires: there it is a 404.
 */
export function devOutboxRoutes(outbox: DevOutbox, views: Views): Router {
  const router = Router();
  router.get("/dev/mail", (_req, res) => {
    res.set("Cache-Control", "no-store");
    views.render(res, "dev/outbox", { title: "dev.outbox.title", mails: outbox.list() });
  });
  router.get("/dev/mail/:id", (req, res, next) => {
    const mail = /^\d{1,9}$/.test(req.params.id) ? outbox.get(Number(req.params.id)) : undefined;
    if (!mail) return next();
    res.set("Cache-Control", "no-store");
    // The subject as sent (in its recipient's language), never read as a catalogue key.
    views.render(res, "dev/mail", {
      title: msg("dev.mail.title", { subject: mail.subject }),
      mail,
      parts: segments(mail.text),
    });
  });
  return router;
}
