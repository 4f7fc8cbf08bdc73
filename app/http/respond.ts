import type { Request, Response } from "express";
import { localeOf, type Message, type MessageValues, translator } from "../i18n/index.js";
import { type Locals, noStore, translateAll, type Views, wantsJson } from "./views.js";

/**
 * Every answer that is not a plain success: a status, a code for scripts (`{ error: code }`) and
 * a message for people (no internals in it): a catalogue key (locales/en.json), with its values
 * in `options.values`, read in the language of whoever gets the answer. Thrown (or passed to `next`) from any handler; the
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
    /** A catalogue key. */
    message: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  /** The message with its values, to show elsewhere (beside a form's field). */
  get text(): Message {
    return this.options.values === undefined
      ? this.message
      : { key: this.message, values: this.options.values };
  }
}

export interface AppErrorOptions {
  /** The values of the message's placeholders. */
  values?: MessageValues;
  /** The error page's heading (a generic one for the status otherwise). */
  title?: Message;
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
    super(503, code, message, { title: "errors.titles.503", retryAfter: 5, ...options });
  }
}

/**
 * A limiter refused the attempt (app/security/password-limits.ts): 429, when to try again. `what`
 * names the sentence, `tooMany.<what>` in the catalogues ("Too many login attempts. Try again in
 * 3 minutes."), whole in each language.
 */
export const tooManyAttempts = (retryAfterSeconds: number, what: string): AppError =>
  new AppError(429, "too_many_attempts", `tooMany.${what}`, {
    values: { count: Math.ceil(retryAfterSeconds / 60) },
    title: "errors.titles.429",
    retryAfter: retryAfterSeconds,
    json: { retryAfter: retryAfterSeconds },
  });

/**
 * A form sent back with what is wrong in it: the page again with each error beside its field,
 * or `{ error: "invalid", errors }` for a script.
 */
export const invalidForm = (
  status: number,
  errors: Record<string, Message>,
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
  const first = Object.values(errors)[0] ?? "errors.checkForm";
  return new AppError(status, "invalid", typeof first === "string" ? first : first.key, {
    ...(typeof first === "string" ? {} : { values: first.values }),
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
  page: (errors: Record<string, Message>) => FormPage | Promise<FormPage>,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError && error.status === 429 && !error.options.page) {
      const errors: Record<string, Message> = { [field]: error.text };
      throw invalidForm(429, errors, await page(errors), error);
    }
    throw error;
  }
}

/** Statuses with a heading of their own in the catalogues (`errors.titles.<status>`). */
const TITLED = new Set([400, 401, 403, 404, 409, 429, 503]);

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
  const { status, code, options } = error;
  const t = translator(localeOf(req));
  const message = t(error.message, options.values);
  noStore(res);
  if (options.retryAfter !== undefined) res.set("Retry-After", String(options.retryAfter));
  if (wantsJson(req)) {
    const json: Record<string, unknown> = { error: code, message, ...options.json };
    // A form's field errors, each in the reader's language too.
    if (json.errors && typeof json.errors === "object")
      json.errors = translateAll(t, json.errors as Record<string, Message>);
    res.status(status).json(json);
    return;
  }
  if (options.redirect) {
    res.redirect(303, options.redirect);
    return;
  }
  const session = (req as { session?: Request["session"] }).session;
  if (options.back && session) {
    session.flash = { kind: "error", text: error.text };
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
    {
      title: t(options.title ?? `errors.titles.${TITLED.has(status) ? status : 409}`),
      status,
      message,
    },
    status,
  );
}
