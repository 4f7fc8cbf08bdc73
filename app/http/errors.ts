import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import type { Logger } from "../logger.js";
import { isDatabaseUnavailable } from "./database-errors.js";
import { type Views, wantsJson } from "./views.js";

/**
 * Something this app depends on (besides its database) cannot be reached: answered 503 with
 * `Retry-After`, the page saying `message` (shown to the user: no internals in it) and JSON
 * clients getting `{ error: code, message }`.
 */
export class ServiceUnavailable extends Error {
  override name = "ServiceUnavailable";
  readonly status = 503;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface ErrorPage {
  status: number;
  /** Machine-readable, for JSON clients. */
  code: string;
  title: string;
  message: string;
}

const PAGES: Record<string, ErrorPage> = {
  badRequest: {
    status: 400,
    code: "bad_request",
    title: "Bad request",
    message: "The request could not be understood. Go back and try again.",
  },
  csrf: {
    status: 403,
    code: "invalid_csrf_token",
    title: "This form has expired",
    message: "The form was old, or sent from another site. Go back, reload the page and try again.",
  },
  notFound: {
    status: 404,
    code: "not_found",
    title: "Page not found",
    message: "There is nothing at this address.",
  },
  tooLarge: {
    status: 413,
    code: "payload_too_large",
    title: "Too much data",
    message: "What you sent is larger than this site accepts.",
  },
  unsupported: {
    status: 415,
    code: "unsupported_media_type",
    title: "Unsupported form",
    message: "This kind of request body is not accepted here.",
  },
  unavailable: {
    status: 503,
    code: "service_unavailable",
    title: "Temporarily unavailable",
    message:
      "We cannot reach our database right now. Nothing you did was lost: try again in a moment.",
  },
  internal: {
    status: 500,
    code: "internal_error",
    title: "Something went wrong",
    message: "An unexpected error happened on our side. Try again.",
  },
};

function pageFor(error: unknown): ErrorPage {
  const { code, status, type } = (error ?? {}) as {
    code?: unknown;
    status?: unknown;
    type?: unknown;
  };
  if (code === "EBADCSRFTOKEN") return PAGES.csrf as ErrorPage;
  if (isDatabaseUnavailable(error)) return PAGES.unavailable as ErrorPage;
  if (error instanceof ServiceUnavailable) {
    return { ...(PAGES.unavailable as ErrorPage), code: error.code, message: error.message };
  }
  if (status === 413 || type === "entity.too.large") return PAGES.tooLarge as ErrorPage;
  if (status === 415) return PAGES.unsupported as ErrorPage;
  // Errors from Express's own parsers (http-errors) carry a 4xx status meant for the client.
  if (typeof status === "number" && status >= 400 && status < 500)
    return { ...(PAGES.badRequest as ErrorPage), status };
  return PAGES.internal as ErrorPage;
}

export function sendErrorPage(req: Request, res: Response, views: Views, page: ErrorPage): void {
  if (page.status === 503) res.set("Retry-After", "5");
  res.set("Cache-Control", "no-store");
  if (wantsJson(req)) {
    res.status(page.status).json({ error: page.code, message: page.message });
    return;
  }
  views.render(
    res,
    "error",
    { title: page.title, status: page.status, message: page.message },
    page.status,
  );
}

/** Anything no route answered: an HTML page for browsers, JSON for the rest. */
export function notFound(views: Views): RequestHandler {
  return (req, res) => sendErrorPage(req, res, views, PAGES.notFound as ErrorPage);
}

/** The last handler: logs the error, answers with a page that leaks nothing internal. */
export function errorHandler(views: Views, logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const log = req.log ?? logger;
    if (res.headersSent) {
      // The response is already out (e.g. a late session store error): log only.
      log.error({ err: error }, "error after the response was sent");
      return;
    }
    const page = pageFor(error);
    if (page.status >= 500)
      log.error(
        { err: error },
        page.status !== 503
          ? "request failed"
          : error instanceof ServiceUnavailable
            ? error.message
            : "database unavailable",
      );
    else if (page.status === 403) log.warn({ path: req.path }, "CSRF token rejected");
    try {
      sendErrorPage(req, res, views, page);
    } catch (renderError) {
      // The error page itself failed (e.g. its template): a plain answer rather than none.
      log.error({ err: renderError }, "error page failed");
      res.status(page.status).type("text").send(page.title);
    }
  };
}

/**
 * For a middleware that reports errors after the response went out: the session middleware (as
 * express-session does) calls `next(err)` a second time when its end-of-request store write
 * fails. Had the request already reached the error handler, the last layer, Express would hand
 * that call to its own final handler, which prints the stack to stderr and destroys the
 * client's keep-alive connection. Such a late error is logged here instead.
 */
export function logLateErrors(middleware: RequestHandler, logger: Logger): RequestHandler {
  return (req, res, next) => {
    let continued = false;
    middleware(req, res, (error?: unknown) => {
      if (!continued) {
        continued = true;
        next(error);
      } else if (error) {
        (req.log ?? logger).error({ err: error }, "error after the response was sent");
      }
    });
  };
}
