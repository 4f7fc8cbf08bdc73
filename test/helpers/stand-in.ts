import type { IncomingMessage, ServerResponse } from "node:http";

/** The small pieces the providers' stand-ins (github-server.ts, apple-server.ts) answer with. */

export const escapeAttribute = (value: string): string =>
  value.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");

export const unescapeAttribute = (value: string): string =>
  value.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&amp;", "&");

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify(body));
}

export function sendHtml(res: ServerResponse, title: string, body: string): void {
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.end(`<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`);
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

/** Each parameter as a hidden field: a page's form carries the request along. */
export const hiddenInputs = (params: Iterable<[string, string]>): string =>
  [...params]
    .map(
      ([k, v]) =>
        `<input type="hidden" name="${escapeAttribute(k)}" value="${escapeAttribute(v)}">`,
    )
    .join("");

/** The hidden fields of a page's forms, by name. */
export const hiddenFields = (html: string): Record<string, string> =>
  Object.fromEntries(
    [...html.matchAll(/type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, k, v]) => [
      unescapeAttribute(k as string),
      unescapeAttribute(v as string),
    ]),
  );
