import type { Duplex } from "node:stream";

interface ClientErrorPage {
  status: number;
  reason: string;
  title: string;
  message: string;
}

const TOO_LARGE: ClientErrorPage = {
  status: 431,
  reason: "Request Header Fields Too Large",
  title: "Request too large",
  message:
    "Your browser sent more than this site accepts (too many or too large cookies, or a very long address). Clear this site's cookies and try again.",
};
const BAD_REQUEST: ClientErrorPage = {
  status: 400,
  reason: "Bad Request",
  title: "Bad request",
  message: "The request could not be understood. Go back and try again.",
};
const TIMEOUT: ClientErrorPage = {
  status: 408,
  reason: "Request Timeout",
  title: "Request timed out",
  message: "The request took too long to arrive. Try again.",
};

function pageFor(code: string | undefined): ClientErrorPage {
  if (code === "HPE_HEADER_OVERFLOW") return TOO_LARGE;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return TIMEOUT;
  return BAD_REQUEST;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * A request Node's HTTP parser refuses (headers over its 16 kB limit, bytes no header may hold, a
 * malformed request line) never reaches the app: Node answers it itself with a bare status line.
 * This answers it with the same status and a short page instead (for `server.on("clientError")`).
 * Nothing of the app runs here: no session, no templates, no logging of what was sent.
 * `appName` (APP_NAME) is escaped into the page's title.
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
    const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${page.title} · ${escapeHtml(appName)}</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main><section class="panel narrow error-page"><p class="status">${page.status}</p><h1>${page.title}</h1><p>${page.message}</p><p><a class="button secondary" href="/">Back to the home page</a></p></section></main></body>
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
