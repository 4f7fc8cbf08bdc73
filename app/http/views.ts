import { Eta } from "eta";
import type { Request, Response } from "express";

export type Locals = Record<string, unknown>;

export interface Views {
  /** Renders `views/<view>.eta` inside the layout, with `res.locals` (user, csrfToken, flash). */
  render(res: Response, view: string, locals?: Locals, status?: number): void;
}

/**
 * Eta templates: `<%= %>` escapes every value; raw output (`<%~ %>`) is only used for partials.
 * Every page also gets `appName` (APP_NAME: the layout's title and brand).
 */
export function createViews(dir: string, options: { cache: boolean; appName: string }): Views {
  const eta = new Eta({ views: dir, cache: options.cache, autoEscape: true });
  return {
    render(res, view, locals = {}, status = 200) {
      const html = eta.render(view, { appName: options.appName, ...res.locals, ...locals });
      res.status(status).type("html").send(html);
    },
  };
}

/** A client that asked for JSON (an API call or fetch) rather than a page. */
export function wantsJson(req: Request): boolean {
  return req.accepts(["html", "json"]) === "json";
}

/** Private pages: the back button after logout must not show them from cache. */
export function noStore(res: Response): void {
  res.set("Cache-Control", "no-store");
}
