import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "../logger.js";

// Static pages: nothing from the request is echoed back, so there is nothing to escape.
const page = (title: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><h1>${title}</h1><p><a href="/">Home</a></p></body></html>`;

function statusOf(error: unknown): number {
  // Errors from Express's own parsers (http-errors) carry a 4xx status meant for the client.
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500 ? status : 500;
}

/** Anything no route answered: an HTML page for browsers, JSON for the rest. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404);
  if (req.accepts(["html", "json"]) === "html") res.type("html").send(page("Not found"));
  else res.json({ error: "not_found" });
};

/** The last handler: logs the error, answers with a generic page so nothing internal leaks. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const log = req.log ?? logger;
    const status = statusOf(error);
    if (res.headersSent) {
      // The response is already out (e.g. a late session store error): log only.
      log.error({ err: error }, "error after the response was sent");
      return;
    }
    if (status >= 500) log.error({ err: error }, "request failed");
    res.status(status);
    const title = status >= 500 ? "Something went wrong" : "Bad request";
    if (req.accepts(["html", "json"]) === "html") res.type("html").send(page(title));
    else res.json({ error: status >= 500 ? "internal_error" : "bad_request" });
  };
}
