import type { Request, Response } from "express";
import type { Csrf } from "../security/csrf.js";
import { type Locals, noStore, type Views, wantsJson } from "./views.js";

export interface AnonymousForm {
  view: string;
  status: number;
  errors: Record<string, string>;
  /** What the template needs besides the token and the errors (title, values, ...). */
  locals: Locals;
}

/**
 * A form for visitors who are not logged in (log in, sign up, forgot, reset): never cached, its
 * CSRF token `csrf.formToken` (stateless for a visitor: no session row). A JSON client gets the
 * form's errors, or on 200 the token its POST will need.
 */
export function renderAnonymousForm(
  views: Views,
  csrf: Csrf,
  req: Request,
  res: Response,
  { view, status, errors, locals }: AnonymousForm,
): void {
  noStore(res);
  if (wantsJson(req)) {
    res.status(status).json(status === 200 ? { csrfToken: csrf.formToken(req, res) } : { errors });
    return;
  }
  views.render(res, view, { ...locals, formToken: csrf.formToken(req, res), errors }, status);
}
