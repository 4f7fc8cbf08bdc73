import type { Request, Response } from "express";
import type { Message } from "../i18n/index.js";
import type { Csrf } from "../security/csrf.js";
import { type AppError, invalidForm, showForm } from "./respond.js";
import { type Locals, noStore, type Views } from "./views.js";

export interface AnonymousForm {
  view: string;
  status: number;
  errors: Record<string, Message>;
  /** What the template needs besides the token and the errors (title, values, ...). */
  locals: Locals;
  /** A limit reached (429): its answer, on this form (errors hold its message). */
  limit?: AppError;
}

/**
 * A form for visitors who are not logged in (forgot, reset): never cached, its CSRF token
 * `csrf.formToken` (stateless for a visitor: no session row). A JSON client gets, on 200, the
 * token its POST will need; a form with errors is thrown to the responder (http/respond.ts).
 */
export function renderAnonymousForm(
  views: Views,
  csrf: Csrf,
  req: Request,
  res: Response,
  { view, status, errors, locals, limit }: AnonymousForm,
): void {
  noStore(res);
  const page = { views, view, locals: { ...locals, formToken: csrf.formToken(req, res) } };
  if (status >= 400) throw invalidForm(status, errors, page, limit);
  showForm(req, res, page, page.locals.formToken, status);
}
