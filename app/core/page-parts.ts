import type { Request, RequestHandler, Response } from "express";

/** A piece of a page another part of the app owns: rendered HTML, or nothing for this user. */
export interface PagePart {
  /** Unique on its page: a test or a style can find it. */
  id: string;
  render(req: Request, res: Response): Promise<string | undefined>;
  /** Scripts the part needs on the page. */
  scripts?: readonly string[];
  /** What it adds to the page's JSON answer (a script asked for the page). */
  json?(req: Request): Promise<Record<string, unknown>>;
}

export interface RenderedParts {
  /** Each part's HTML (escaped by its own template), in order. */
  html: string[];
  /** The scripts they need, once each. */
  scripts: string[];
}

/** Renders `parts` for this request; a part with nothing to show is left out. */
export async function renderParts(
  req: Request,
  res: Response,
  parts: readonly PagePart[],
): Promise<RenderedParts> {
  const html: string[] = [];
  const scripts = new Set<string>();
  for (const part of parts) {
    const rendered = await part.render(req, res);
    if (rendered === undefined) continue;
    html.push(rendered);
    for (const src of part.scripts ?? []) scripts.add(src);
  }
  return { html, scripts: [...scripts] };
}

/** The JSON every part adds to a page's answer, merged. */
export async function partsJson(req: Request, parts: readonly PagePart[]) {
  const json: Record<string, unknown> = {};
  for (const part of parts) if (part.json) Object.assign(json, await part.json(req));
  return json;
}

/**
 * The features' banners (FeatureParts.banners) for the layout, `it.banners`: rendered for every
 * request before its route, so any page shows them; a banner with nothing to say is left out.
 */
export function pageBanners(parts: readonly PagePart[]): RequestHandler {
  return (req, res, next) => {
    renderParts(req, res, parts)
      .then(({ html }) => {
        if (html.length > 0) res.locals.banners = html;
        next();
      })
      .catch(next);
  };
}
