import { type Request, type Response, Router } from "express";
import type pg from "pg";
import { recordEvent } from "../activity/record.js";
import { renewUserSession } from "../auth/login-session.js";
import { clearSessionCookie, type SessionCookie } from "../auth/session-cookie.js";
import { endOtherSessions } from "../auth/session-generation.js";
import type { FieldErrors } from "../auth/validation.js";
import { timeView } from "../http/time-format.js";
import { deviceName } from "../http/user-agent.js";
import { noStore, type Views, wantsJson } from "../http/views.js";
import type { PasswordLimiter } from "../security/password-limits.js";
import { hashStoreKey } from "../session/index.js";
import {
  listUserSessions,
  revokeUserSession,
  SESSIONS_ON_ACCOUNT_PAGE,
  type SessionPage,
  sessionExpiry,
  validDate,
} from "./sessions.js";

export interface AccountRouteDeps {
  pool: pg.Pool;
  limiter: PasswordLimiter;
  views: Views;
  sessionCookie: SessionCookie;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
}

const short = (id: string) => `${id.slice(0, 8)}…`;
const seconds = (ms: number | null) => (ms === null ? "none" : `${Math.round(ms / 1000)} s`);

/** How many sessions a page of "All your sessions" (/account/sessions) lists. */
export const SESSIONS_PER_PAGE = 50;

/**
 * Everything the session inspector shows, read from `req.session` and the store (its expiry
 * comes with the row "your sessions" lists first): `inspector` as JSON clients get it, and its
 * moments as Dates for the page.
 */
function inspect(req: Request, deps: AccountRouteDeps, storeExpiry: Date | undefined) {
  const { cookie } = req.session;
  // From the stored cookie, so possibly out of a Date's range: then shown as unknown.
  const created = validDate(cookie.createdAt);
  const absoluteEnd = created && validDate(created.valueOf() + deps.maxLifetimeMs);
  const expires = cookie.expires ?? undefined;
  const inspector = {
    id: short(req.sessionID),
    cookie: {
      name: deps.sessionCookie.name,
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

export function accountRoutes(deps: AccountRouteDeps): Router {
  const { pool, views } = deps;
  const router = Router();

  /** One page of the user's sessions, marked `current`, and with their names and times for a page. */
  async function sessionPage(req: Request, limit: number, offset: number) {
    const user = req.user as Express.User;
    const currentKey = hashStoreKey(req.sessionID);
    const page: SessionPage = await listUserSessions(pool, user.id, {
      idleTimeoutMs: deps.idleTimeoutMs,
      currentKey,
      limit,
      offset,
    });
    const sessions = page.sessions.map((s) => ({ ...s, current: s.key === currentKey }));
    const storeExpiry = sessions.find((s) => s.current)?.expires;
    return { sessions, more: page.more, storeExpiry };
  }

  // The page says times as "3 minutes ago" and browsers as "Chrome on Linux"; JSON keeps both raw.
  const sessionRows = (sessions: Awaited<ReturnType<typeof sessionPage>>["sessions"], now: Date) =>
    sessions.map((s) => ({
      ...s,
      device: deviceName(s.userAgent),
      loggedInAt: s.loggedInAt && timeView(s.loggedInAt, now),
      lastSeen: s.lastSeen && timeView(s.lastSeen, now),
    }));

  async function renderAccount(
    req: Request,
    res: Response,
    status = 200,
    errors: FieldErrors = {},
  ) {
    const user = req.user as Express.User;
    // The newest few only: a user may have hundreds, and this page must stay small.
    const { sessions, more, storeExpiry } = await sessionPage(req, SESSIONS_ON_ACCOUNT_PAGE, 0);
    const { inspector, dates } = inspect(req, deps, storeExpiry);
    if (wantsJson(req)) {
      res.status(status).json({
        user: { id: user.id, email: user.email },
        session: inspector,
        sessions,
        moreSessions: more,
        errors,
      });
      return;
    }
    const now = new Date();
    const when = (date: Date | undefined) => date && timeView(date, now);
    const times = {
      expires: when(dates.expires),
      storeExpiry: when(dates.storeExpiry),
      created: when(dates.created),
      absoluteEnd: when(dates.absoluteEnd),
    };
    views.render(
      res,
      "account",
      {
        title: "Your account",
        inspector,
        times,
        sessions: sessionRows(sessions, now),
        moreSessions: more,
        errors,
      },
      status,
    );
  }

  // The account page: the session inspector, the session API buttons, your newest sessions.
  router.get("/account", async (req, res) => {
    noStore(res);
    await renderAccount(req, res);
  });

  // All your sessions, a page at a time (?page=2): "Show all" on the account page.
  router.get("/account/sessions", async (req, res) => {
    noStore(res);
    const asked = Number(req.query.page ?? 1);
    const page = Number.isSafeInteger(asked) && asked >= 1 ? asked : 1;
    const { sessions, more } = await sessionPage(
      req,
      SESSIONS_PER_PAGE,
      (page - 1) * SESSIONS_PER_PAGE,
    );
    // Past the last page (sessions ended meanwhile): the first.
    if (sessions.length === 0 && page > 1) return res.redirect(303, "/account/sessions");
    if (wantsJson(req)) {
      res.json({ sessions, page, more });
      return;
    }
    views.render(res, "account/sessions", {
      title: "Your sessions",
      sessions: sessionRows(sessions, new Date()),
      page,
      more,
    });
  });

  // This session was ended (revoked from another one) while the request was in flight.
  const sessionEnded = (res: Response) => {
    clearSessionCookie(res, deps.sessionCookie);
    res.redirect(303, "/login?expired=1");
  };

  const flash = (req: Request, text: string) => {
    req.session.flash = { kind: "info", text };
  };

  // A counter in the session, changed only here: looking at a page writes nothing to the store.
  router.post("/account/session/count", (req, res) => {
    req.session.counter = (req.session.counter ?? 0) + 1;
    res.redirect(303, "/account");
  });

  // req.session.regenerate(): a new ID; we log the user back in on it, keeping the counter and lifetime.
  router.post("/account/session/regenerate", async (req, res) => {
    const before = req.sessionID;
    if (!(await renewUserSession(pool, req, req.user as Express.User))) return sessionEnded(res);
    flash(
      req,
      `Regenerated: session ID ${short(before)} → ${short(req.sessionID)}; the old one is gone from the store.`,
    );
    res.redirect(303, "/account");
  });

  // req.session.reload(): throw away this request's copy and re-read the store's.
  router.post("/account/session/reload", async (req, res) => {
    const scratch = (req.session.counter ?? 0) + 1000;
    req.session.counter = scratch;
    await req.session.reload();
    flash(
      req,
      `Reloaded: an unsaved change (the counter set to ${scratch}) was dropped; the store says ${req.session.counter ?? 0}.`,
    );
    res.redirect(303, "/account");
  });

  // req.session.save(): write to the store now instead of at the end of the request.
  router.post("/account/session/save", async (req, res) => {
    await req.session.save();
    flash(
      req,
      `Saved to the store now; it expires there at ${(await sessionExpiry(pool, hashStoreKey(req.sessionID)))?.toISOString() ?? "?"}.`,
    );
    res.redirect(303, "/account");
  });

  // req.session.touch(): restart the cookie's countdown from originalMaxAge.
  router.post("/account/session/touch", (req, res) => {
    const { cookie } = req.session;
    const before = cookie.maxAge;
    req.session.touch();
    flash(
      req,
      `Touched: maxAge was ${seconds(before)} left, now ${seconds(cookie.maxAge)} (originalMaxAge ${seconds(cookie.originalMaxAge)}).`,
    );
    res.redirect(303, "/account");
  });

  // req.session.destroy(): the session is gone, and with it the login.
  router.post("/account/session/destroy", async (req, res) => {
    await req.session.destroy();
    clearSessionCookie(res, deps.sessionCookie);
    res.redirect(303, "/login?destroyed=1");
  });

  // Your sessions: end one of them (someone else's key does nothing); back to the page it was on.
  router.post("/account/sessions/revoke", async (req, res) => {
    const page = Number(req.body?.page);
    const back =
      Number.isSafeInteger(page) && page >= 1 ? `/account/sessions?page=${page}` : "/account";
    const key = typeof req.body?.key === "string" ? req.body.key : "";
    const user = req.user as Express.User;
    if (key === hashStoreKey(req.sessionID)) {
      flash(req, "To end this session, log out.");
    } else {
      const ended = /^[0-9a-f]{64}$/.test(key) && (await revokeUserSession(pool, user.id, key));
      if (ended) await recordEvent(pool, { userId: user.id, kind: "session_revoked", req });
      flash(
        req,
        ended
          ? "That session was ended: its next request will be logged out."
          : "That session had already ended.",
      );
    }
    res.redirect(303, back);
  });

  // Log out everywhere else: every other session of this user ends.
  router.post("/account/sessions/revoke-others", async (req, res) => {
    const count = await endOtherSessions(pool, req);
    if (count === false) return sessionEnded(res);
    const userId = (req.user as Express.User).id;
    await recordEvent(pool, { userId, kind: "other_sessions_revoked", req });
    flash(req, `Logged out of ${count} other session(s).`);
    res.redirect(303, "/account");
  });

  return router;
}
