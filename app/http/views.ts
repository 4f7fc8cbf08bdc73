import { dirname, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { Request, Response } from "express";
import {
  languageNames,
  localeOf,
  type Message,
  type Translate,
  translator,
} from "../i18n/index.js";

export type Locals = Record<string, unknown>;

export interface Views {
  /** Renders `<view>.eta` of this folder inside the layout, with `res.locals` (user, flash, csrf). */
  render(res: Response, view: string, locals?: Locals, status?: number): void;
  /** The same template as HTML, for a part of another page (a feature's panel or button). */
  html(res: Response, view: string, locals?: Locals): string;
  /**
   * A feature's own templates (`app/features/<name>/views`, as `new URL("./views/",
   * import.meta.url)`): the view names are this folder's; `/layout` and `/partials/...` still
   * name the core's `views/` (a feature's template says `layout("/layout")`).
   */
  at(dir: URL | string): Views;
}

const isInside = (root: string, file: string) => {
  const path = relative(root, file);
  return path !== "" && !path.startsWith("..") && !isAbsolute(path);
};

/**
 * Eta templates: `<%= %>` escapes every value; raw output (`<%~ %>`) is only used for partials
 * and for parts of a page another feature rendered (already escaped there). A name starting
 * with `/` is the core's `views/`; any other is relative to the template that names it, or to
 * the views' own folder. Every page also gets `appName` (APP_NAME: the layout's title and brand).
 */
export function createViews(dir: string, options: { cache: boolean; appName: string }): Views {
  const make = (own: string): Views => {
    const eta = new Eta({ views: own, cache: options.cache, autoEscape: true });
    eta.resolvePath = (name: string, meta?: { filepath?: string }) => {
      const file = `${name}${name.endsWith(".eta") ? "" : ".eta"}`;
      const resolved = file.startsWith("/")
        ? join(dir, file)
        : join(meta?.filepath ? dirname(meta.filepath) : own, file);
      if (!isInside(dir, resolved) && !isInside(own, resolved)) {
        throw new Error(`Template ${name} is outside the views folders`);
      }
      return resolved;
    };
    const data = (res: Response, locals: Locals) => {
      const lang = localeOf(res.req);
      const t = translator(lang);
      const merged: Locals = { appName: options.appName, ...res.locals, ...locals };
      return {
        ...merged,
        lang,
        t,
        languages: languageNames,
        // The address of this page, for the language switcher to come back to: a page a GET
        // shows (a form's answer to a POST may have no GET of its own: then the home page).
        here: res.req.method === "GET" ? res.req.originalUrl : "/",
        // Field errors and the one-time message are Messages: read in the reader's language.
        ...(merged.errors
          ? { errors: translateAll(t, merged.errors as Record<string, Message>) }
          : {}),
        ...(merged.flash ? { flash: translateFlash(t, merged.flash) } : {}),
      };
    };
    return {
      render(res, view, locals = {}, status = 200) {
        const html = eta.render(view, data(res, locals));
        // The language comes from these (app/i18n): a cache must not give one reader's to another.
        res.vary("Accept-Language").vary("Cookie");
        res.set("Content-Language", localeOf(res.req));
        res.status(status).type("html").send(html);
      },
      html: (res, view, locals = {}) => eta.render(view, data(res, locals)),
      at: (folder) => make(typeof folder === "string" ? folder : fileURLToPath(folder)),
    };
  };
  return make(dir);
}

/** Each Message of a record (a form's field errors) in one language. */
export function translateAll(
  t: Translate,
  messages: Record<string, Message>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(messages).map(([field, message]) => [field, t(message)]),
  );
}

function translateFlash(
  t: Translate,
  flash: unknown,
): { kind: string; text: string; mailSent?: boolean } | undefined {
  const { kind, text, mailSent } = flash as { kind?: unknown; text?: unknown; mailSent?: unknown };
  if (typeof kind !== "string" || text === undefined) return undefined;
  // mailSent: the layout links the development outbox.
  return { kind, text: t(text as Message), ...(mailSent === true ? { mailSent } : {}) };
}

/** A client that asked for JSON (an API call or fetch) rather than a page. */
export function wantsJson(req: Request): boolean {
  return req.accepts(["html", "json"]) === "json";
}

/** Private pages: the back button after logout must not show them from cache. */
export function noStore(res: Response): void {
  res.set("Cache-Control", "no-store");
}
