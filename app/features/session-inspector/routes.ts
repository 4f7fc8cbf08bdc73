import type { Request, Router } from "express";
import { sessionExpiry, validDate } from "../../account/sessions.js";
import { renewUserSession } from "../../auth/login-session.js";
import { clearSessionCookie, sessionEnded } from "../../auth/session-cookie.js";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { timeView } from "../../http/time-format.js";
import { type Views, wantsJson } from "../../http/views.js";
import { localeOf, type Message, msg, type Translate, translator } from "../../i18n/index.js";
import { hashStoreKey } from "../../session/index.js";

const PAGE = "/account/session";
const short = (id: string) => `${id.slice(0, 8)}…`;
const seconds = (t: Translate, ms: number | null) =>
  ms === null
    ? t("session-inspector.none")
    : t("session-inspector.seconds", { n: Math.round(ms / 1000) });

/** The inspector's page and the session API's buttons: every route for a logged-in user. */
export function inspectorRoutes(kit: Kit, views: Views): Router {
  const { pool, config } = kit;
  const router = privateRouter(kit.guards);

  /**
   * Everything the inspector shows, read from `req.session` and the store: `inspector` as JSON
   * clients get it, and its moments as Dates for the page.
   */
  async function inspect(req: Request) {
    const { cookie } = req.session;
    const storeExpiry = await sessionExpiry(pool, hashStoreKey(req.sessionID));
    // From the stored cookie, so possibly out of a Date's range: then shown as unknown.
    const created = validDate(cookie.createdAt);
    const absoluteEnd = created && validDate(created.valueOf() + config.sessionMaxLifetimeMs);
    const expires = cookie.expires ?? undefined;
    const inspector = {
      id: short(req.sessionID),
      cookie: {
        name: kit.sessionCookie.name,
        path: cookie.path,
        domain: cookie.domain ?? "(this host only)",
        httpOnly: cookie.httpOnly,
        secure: Boolean(cookie.secure),
        sameSite: String(cookie.sameSite ?? "none set"),
        maxAge: cookie.maxAge,
        originalMaxAge: cookie.originalMaxAge,
        expires: expires ? expires.toISOString() : null,
      },
      storeExpiry: storeExpiry ? storeExpiry.toISOString() : null,
      createdAt: created ? created.toISOString() : null,
      absoluteEnd: absoluteEnd ? absoluteEnd.toISOString() : null,
      counter: req.session.counter ?? 0,
    };
    return { inspector, dates: { expires, storeExpiry, created, absoluteEnd } };
  }

  const flash = (req: Request, text: Message) => {
    req.session.flash = { kind: "info", text };
  };

  // The inspector: this session's cookie, timers and data, and the session API's buttons.
  router.get(PAGE, async (req, res) => {
    const { inspector, dates } = await inspect(req);
    if (wantsJson(req)) return void res.json({ session: inspector });
    const now = new Date();
    const locale = localeOf(req);
    const when = (date: Date | undefined | null) => date && timeView(date, now, locale);
    const { cookie } = req.session;
    views.render(res, "inspector", {
      title: "session-inspector.title",
      inspector,
      // As the page says them: no Domain attribute, no SameSite attribute.
      shown: {
        domain: cookie.domain ?? translator(locale)("session-inspector.thisHostOnly"),
        sameSite:
          cookie.sameSite === undefined || cookie.sameSite === null
            ? translator(locale)("session-inspector.noneSet")
            : String(cookie.sameSite),
      },
      times: {
        expires: when(dates.expires),
        storeExpiry: when(dates.storeExpiry),
        created: when(dates.created),
        absoluteEnd: when(dates.absoluteEnd),
      },
    });
  });

  // A counter in the session, changed only here: looking at a page writes nothing to the store.
  router.post("/account/session/count", (req, res) => {
    req.session.counter = (req.session.counter ?? 0) + 1;
    res.redirect(303, PAGE);
  });

  // req.session.regenerate(): a new ID; we log the user back in on it, keeping the counter and lifetime.
  router.post("/account/session/regenerate", async (req, res) => {
    const before = req.sessionID;
    if (!(await renewUserSession(pool, req, userOf(req))))
      throw sessionEnded(res, kit.sessionCookie);
    flash(
      req,
      msg("session-inspector.flash.regenerated", {
        before: short(before),
        after: short(req.sessionID),
      }),
    );
    res.redirect(303, PAGE);
  });

  // req.session.reload(): throw away this request's copy and re-read the store's.
  router.post("/account/session/reload", async (req, res) => {
    const scratch = (req.session.counter ?? 0) + 1000;
    req.session.counter = scratch;
    await req.session.reload();
    flash(
      req,
      msg("session-inspector.flash.reloaded", { scratch, counter: req.session.counter ?? 0 }),
    );
    res.redirect(303, PAGE);
  });

  // req.session.save(): write to the store now instead of at the end of the request.
  router.post("/account/session/save", async (req, res) => {
    await req.session.save();
    const expires = await sessionExpiry(pool, hashStoreKey(req.sessionID));
    flash(req, msg("session-inspector.flash.saved", { at: expires?.toISOString() ?? "?" }));
    res.redirect(303, PAGE);
  });

  // req.session.touch(): restart the cookie's countdown from originalMaxAge.
  router.post("/account/session/touch", (req, res) => {
    const { cookie } = req.session;
    const before = cookie.maxAge;
    req.session.touch();
    // The durations in the language of whoever reads the message: this request's.
    const t = translator(localeOf(req));
    flash(
      req,
      msg("session-inspector.flash.touched", {
        before: seconds(t, before),
        now: seconds(t, cookie.maxAge),
        original: seconds(t, cookie.originalMaxAge),
      }),
    );
    res.redirect(303, PAGE);
  });

  // req.session.destroy(): the session is gone, and with it the login.
  router.post("/account/session/destroy", async (req, res) => {
    await req.session.destroy();
    clearSessionCookie(res, kit.sessionCookie);
    res.redirect(303, "/login?destroyed=1");
  });

  return router;
}
