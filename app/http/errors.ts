import type { ErrorRequestHandler, RequestHandler } from "express";
import { localeOf, translator } from "../i18n/index.js";
import type { Logger } from "../logger.js";
import { isDatabaseUnavailable } from "./database-errors.js";
import { AppError, sendAppError } from "./respond.js";
import type { Views } from "./views.js";

/**
 * The error pages of the app, by name: their status, the code for JSON clients, and their words
 * in the catalogues under `errors.<name>` (`title`, `message`).
 */
const PAGES = {
  badRequest: { status: 400, code: "bad_request" },
  csrf: { status: 403, code: "invalid_csrf_token" },
  notFound: { status: 404, code: "not_found" },
  tooLarge: { status: 413, code: "payload_too_large" },
  unsupported: { status: 415, code: "unsupported_media_type" },
  unavailable: { status: 503, code: "service_unavailable" },
  internal: { status: 500, code: "internal_error" },
} as const;

const fromPage = (name: keyof typeof PAGES, status: number = PAGES[name].status) =>
  new AppError(status, PAGES[name].code, `errors.${name}.message`, {
    title: `errors.${name}.title`,
    ...(status === 503 ? { retryAfter: 5 } : {}),
  });

/** Any error as the AppError it is answered with. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { code, status, type } = (error ?? {}) as {
    code?: unknown;
    status?: unknown;
    type?: unknown;
  };
  if (code === "EBADCSRFTOKEN") return fromPage("csrf");
  if (isDatabaseUnavailable(error)) return fromPage("unavailable");
  if (status === 413 || type === "entity.too.large") return fromPage("tooLarge");
  if (status === 415) return fromPage("unsupported");
  // Errors from Express's own parsers (http-errors) carry a 4xx status meant for the client.
  if (typeof status === "number" && status >= 400 && status < 500)
    return fromPage("badRequest", status);
  return fromPage("internal");
}

/** Anything no route answered: an HTML page for browsers, JSON for the rest. */
export function notFound(views: Views): RequestHandler {
  return (req, res) => sendAppError(req, res, views, fromPage("notFound"));
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
