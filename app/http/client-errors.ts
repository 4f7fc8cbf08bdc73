import type { Duplex } from "node:stream";
import escapeHtml from "escape-html";
import { DEFAULT_LOCALE, translator, visitorLocale } from "../i18n/index.js";

interface ClientErrorPage {
  status: number;
  reason: string;
  /** Catalogue keys. */
  title: string;
  message: string;
}

const TOO_LARGE: ClientErrorPage = {
  status: 431,
  reason: "Request Header Fields Too Large",
  title: "core.clientErrors.tooLargeTitle",
  message: "core.clientErrors.tooLargeMessage",
};
const BAD_REQUEST: ClientErrorPage = {
  status: 400,
  reason: "Bad Request",
  title: "errors.badRequest.title",
  message: "errors.badRequest.message",
};
const TIMEOUT: ClientErrorPage = {
  status: 408,
  reason: "Request Timeout",
  title: "core.clientErrors.timeoutTitle",
  message: "core.clientErrors.timeoutMessage",
};

function pageFor(code: string | undefined): ClientErrorPage {
  if (code === "HPE_HEADER_OVERFLOW") return TOO_LARGE;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return TIMEOUT;
  return BAD_REQUEST;
}

/** The most of a refused request that is read for its language. */
const MAX_HEAD = 64 * 1024;

/**
 * The refused request's language, as app/i18n's localeOf would choose it for a visitor (the
 * `lang` cookie, else Accept-Language), from what Node's parser had read of it (`rawPacket`, on
 * a parse error); English when it has none or nothing of it is left to read (a timeout).
 */
function requestLocale(error: Error & { rawPacket?: unknown }): string {
  const raw = error.rawPacket;
  if (!Buffer.isBuffer(raw)) return DEFAULT_LOCALE;
  const headers: { cookie?: string; "accept-language"?: string } = {};
  const lines = raw.subarray(0, MAX_HEAD).toString("latin1").split("\r\n");
  for (const line of lines.slice(1)) {
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "cookie" || name === "accept-language") headers[name] ??= value;
  }
  return visitorLocale(headers) ?? DEFAULT_LOCALE;
}

/**
 * A request Node's HTTP parser refuses (headers over its 16 kB limit, bytes no header may hold, a
 * malformed request line) never reaches the app: Node answers it itself with a bare status line.
 * This answers it with the same status and a short page instead (for `server.on("clientError")`).
 * Nothing of the app runs here: no session, no templates, no logging of what was sent. The page
 * is in the request's language when what was read of it says one (requestLocale), else English.
 * `appName` (APP_NAME) and the catalogue's sentences are escaped into the page.
 */
export const answerClientError =
  (appName: string) =>
  (error: Error & { code?: string }, socket: Duplex): void => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const page = pageFor(error.code);
    const lang = requestLocale(error);
    const t = (key: string) => escapeHtml(translator(lang)(key));
    const title = t(page.title);
    const body = `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head><meta charset="utf-8"><title>${title} · ${escapeHtml(appName)}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main><section class="panel narrow error-page"><p class="status">${page.status}</p><h1>${title}</h1><p>${t(page.message)}</p><p><a class="button secondary" href="/">${t("errors.backHome")}</a></p></section></main></body>
</html>
`;
    socket.end(
      [
        `HTTP/1.1 ${page.status} ${page.reason}`,
        "Content-Type: text/html; charset=utf-8",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Cache-Control: no-store",
        "Content-Security-Policy: default-src 'none'; style-src 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options: nosniff",
        "Connection: close",
        "",
        body,
      ].join("\r\n"),
    );
  };
