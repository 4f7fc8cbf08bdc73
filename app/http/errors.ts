import type { ErrorRequestHandler, RequestHandler } from "express";
import { localeOf, translator } from "../i18n/index.js";
import type { Logger } from "../logger.js";
import { isDatabaseUnavailable } from "./database-errors.js";
import { AppError, sendAppError } from "./respond.js";
import type { Views } from "./views.js";

interface ErrorPage {
  status: number;
  /** Machine-readable, for JSON clients. */
  code: string;
  /** Catalogue keys. */
  title: string;
  message: string;
}

const PAGES: Record<string, ErrorPage> = {
  badRequest: {
    status: 400,
    code: "bad_request",
    title: "errors.badRequest.title",
    message: "errors.badRequest.message",
  },
  csrf: {
    status: 403,
    code: "invalid_csrf_token",
    title: "errors.csrf.title",
    message: "errors.csrf.message",
  },
  notFound: {
    status: 404,
    code: "not_found",
    title: "errors.notFound.title",
    message: "errors.notFound.message",
  },
  tooLarge: {
    status: 413,
    code: "payload_too_large",
    title: "errors.tooLarge.title",
    message: "errors.tooLarge.message",
  },
  unsupported: {
    status: 415,
    code: "unsupported_media_type",
    title: "errors.unsupported.title",
    message: "errors.unsupported.message",
  },
  unavailable: {
    status: 503,
    code: "service_unavailable",
    title: "errors.unavailable.title",
    message: "errors.unavailable.message",
  },
  internal: {
    status: 500,
    code: "internal_error",
    title: "errors.internal.title",
    message: "errors.internal.message",
  },
};

const fromPage = (page: ErrorPage) =>
  new AppError(page.status, page.code, page.message, {
    title: page.title,
    ...(page.status === 503 ? { retryAfter: 5 } : {}),
  });

/** Any error as the AppError it is answered with. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { code, status, type } = (error ?? {}) as {
    code?: unknown;
    status?: unknown;
    type?: unknown;
  };
  if (code === "EBADCSRFTOKEN") return fromPage(PAGES.csrf as ErrorPage);
  if (isDatabaseUnavailable(error)) return fromPage(PAGES.unavailable as ErrorPage);
  if (status === 413 || type === "entity.too.large") return fromPage(PAGES.tooLarge as ErrorPage);
  if (status === 415) return fromPage(PAGES.unsupported as ErrorPage);
  // Errors from Express's own parsers (http-errors) carry a 4xx status meant for the client.
  if (typeof status === "number" && status >= 400 && status < 500)
    return fromPage({ ...(PAGES.badRequest as ErrorPage), status });
  return fromPage(PAGES.internal as ErrorPage);
}

/** Anything no route answered: an HTML page for browsers, JSON for the rest. */
export function notFound(views: Views): RequestHandler {
  return (req, res) => sendAppError(req, res, views, fromPage(PAGES.notFound as ErrorPage));
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
    const answer = toAppError(error);
    if (answer.status >= 500)
      log.error(
        { err: error },
        answer.status !== 503
          ? "request failed"
          : isDatabaseUnavailable(error)
            ? "database unavailable"
            : answer.message,
      );
    else if (answer.code === "invalid_csrf_token")
      log.warn({ path: req.path }, "CSRF token rejected");
    try {
      sendAppError(req, res, views, answer);
    } catch (renderError) {
      // The error page itself failed (e.g. its template): a plain answer rather than none.
      log.error({ err: renderError }, "error page failed");
      const t = translator(localeOf(req));
      res
        .status(answer.status)
        .type("text")
        .send(t(answer.options.title ?? answer.message, answer.options.values));
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
