import type { Request, Response } from "express";
import { type Locals, noStore, type Views, wantsJson } from "./views.js";

/**
 * Every answer that is not a plain success: a status, a code for scripts (`{ error: code }`) and
 * a message for people (no internals in it). Thrown (or passed to `next`) from any handler; the
 * error handler (errors.ts) answers it in one way for the whole app:
 *
 * - a JSON client gets `{ error, message, ...json }`;
 * - a page gets the error page, or with `back`, the message as a flash on the page at `back`
 *   (a form on a settings page), or with `page`, that page rendered by whoever threw (a form
 *   again, with its field errors);
 * - 429 and 503 carry Retry-After; nothing is cached.
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export interface AppErrorOptions {
  /** The error page's heading (a generic one for the status otherwise). */
  title?: string;
  /** Pages: back to this path with the message as a flash, rather than an error page. */
  back?: string;
  /** Pages: a redirect to this path, which says why itself (`/login?expired=1`). */
  redirect?: string;
  /** Pages: the answer is this page (a form again, its errors beside its fields). */
  page?: { views: Views; view: string; locals: Locals };
  /** More JSON fields: `errors` of a form, `next` for a script, `retryAfter`. */
  json?: Record<string, unknown>;
  /** Seconds, for 429 and 503 (Retry-After). */
  retryAfter?: number;
  /** Logged, never shown. */
  cause?: unknown;
}

/** Something this app depends on (besides its database) cannot be reached: 503, Retry-After. */
export class ServiceUnavailable extends AppError {
  override name = "ServiceUnavailable";
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(503, code, message, { title: "Temporarily unavailable", retryAfter: 5, ...options });
  }
}

/** A limiter refused the attempt (app/security/password-limits.ts): 429, when to try again. */
export const tooManyAttempts = (retryAfterSeconds: number, what: string): AppError =>
  new AppError(
    429,
    "too_many_attempts",
    `Too many ${what}. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
    {
      title: "Too many attempts",
      retryAfter: retryAfterSeconds,
      json: { retryAfter: retryAfterSeconds },
    },
  );

/**
 * A form sent back with what is wrong in it: the page again with each error beside its field,
 * or `{ error: "invalid", errors }` for a script.
 */
export const invalidForm = (
  status: number,
  errors: Record<string, string>,
  page: FormPage,
  limit?: AppError,
): AppError => {
  const onPage = { ...page, locals: { ...page.locals, errors } };
  // A limit reached: its answer (429, Retry-After, its JSON), but on the form, typed values kept.
  if (limit)
    return new AppError(limit.status, limit.code, limit.message, {
      ...limit.options,
      page: onPage,
    });
  return new AppError(status, "invalid", Object.values(errors)[0] ?? "Check the form.", {
    page: onPage,
    json: { errors },
  });
};

export type FormPage = { views: Views; view: string; locals: Locals };

/**
 * `work`, but a limit it reaches (a 429 thrown deep inside, as by checkCurrentPassword) is
 * answered on the form: the message beside `field`, what was typed kept, still 429 with
 * Retry-After (JSON unchanged).
 */
export async function limitOnForm<T>(
  work: Promise<T>,
  field: string,
  page: (errors: Record<string, string>) => FormPage | Promise<FormPage>,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError && error.status === 429 && !error.options.page) {
      const errors = { [field]: error.message };
      throw invalidForm(429, errors, await page(errors), error);
    }
    throw error;
  }
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Log in first",
  403: "Not allowed",
  404: "Page not found",
  409: "That did not work",
  429: "Too many attempts",
  503: "Temporarily unavailable",
};

/**
 * A form as it first shows, with no errors: the page for a browser; for a JSON client, the CSRF
 * token its POST will need.
 */
export function showForm(
  req: Request,
  res: Response,
  page: FormPage,
  csrfToken: string | undefined,
  status = 200,
): void {
  if (wantsJson(req)) return void res.status(status).json({ csrfToken });
  page.views.render(res, page.view, { ...page.locals, errors: {} }, status);
}

/** The one place an AppError becomes an answer. */
export function sendAppError(req: Request, res: Response, views: Views, error: AppError): void {
  const { status, code, message, options } = error;
  noStore(res);
  if (options.retryAfter !== undefined) res.set("Retry-After", String(options.retryAfter));
  if (wantsJson(req)) {
    res.status(status).json({ error: code, message, ...options.json });
    return;
  }
  if (options.redirect) {
    res.redirect(303, options.redirect);
    return;
  }
  const session = (req as { session?: Request["session"] }).session;
  if (options.back && session) {
    session.flash = { kind: "error", text: message };
    res.redirect(303, options.back);
    return;
  }
  if (options.page) {
    options.page.views.render(res, options.page.view, options.page.locals, status);
    return;
  }
  views.render(
    res,
    "error",
    { title: options.title ?? TITLES[status] ?? "That did not work", status, message },
    status,
  );
}
