import { type Request, type Response, Router } from "express";
import type pg from "pg";
import { safeReturnPath } from "../auth/validation.js";
import { type Guards, privateRouter, userOf } from "../core/guards.js";
import { AppError } from "../http/respond.js";
import { wantsJson } from "../http/views.js";
import { LANG_COOKIE, supportedLocale } from "../i18n/index.js";

/** How long the switcher's choice is kept in the browser. */
const LANG_COOKIE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Choosing a language (app/i18n picks it: saved preference, `lang` cookie, Accept-Language).
 *
 * - `GET /language?lang=zh-CN&next=/login`: the footer's links, for anyone, without JavaScript.
 *   It sets only the `lang` cookie (no session, nothing stored): a link another site makes can
 *   change the language of this one and nothing else. `next` is a path on this site.
 * - `POST /account/language` (`locale`: a tag, or empty for the browser's language): the Account
 *   page's setting and the footer's buttons when logged in. Saved on the user (mails use it too)
 *   and in the cookie, so the language stays after logging out.
 */
export function languageRoutes(deps: {
  pool: pg.Pool;
  guards: Guards;
  secureCookies: boolean;
}): Router {
  const { pool } = deps;
  const router = Router();

  const remember = (res: Response, locale: string | undefined) => {
    const attributes = {
      path: "/",
      sameSite: "lax" as const,
      httpOnly: true,
      secure: deps.secureCookies,
    };
    if (locale === undefined) res.clearCookie(LANG_COOKIE, attributes);
    else res.cookie(LANG_COOKIE, locale, { ...attributes, maxAge: LANG_COOKIE_MAX_AGE_MS });
  };
  const back = (req: Request, fallback: string) =>
    safeReturnPath((req.method === "GET" ? req.query : req.body)?.next) ?? fallback;

  router.get("/language", (req, res) => {
    const locale = supportedLocale(req.query.lang);
    if (locale === undefined)
      throw new AppError(400, "unsupported_language", "language.unsupported");
    remember(res, locale);
    res.redirect(303, back(req, "/"));
  });

  const account = privateRouter(deps.guards, { unverified: true });
  account.post("/account/language", async (req, res) => {
    const wanted = (req.body as { locale?: unknown } | undefined)?.locale;
    const locale = wanted === "" ? undefined : supportedLocale(wanted);
    if (wanted !== "" && locale === undefined)
      throw new AppError(400, "unsupported_language", "language.unsupported", { back: "/account" });
    const user = userOf(req);
    await pool.query("update users set locale = $2 where id = $1", [user.id, locale ?? null]);
    user.locale = locale ?? null;
    remember(res, locale);
    if (wantsJson(req)) return void res.json({ locale: locale ?? null });
    req.session.flash = { kind: "info", text: "language.saved" };
    res.redirect(303, back(req, "/account"));
  });
  router.use(account);
  return router;
}
