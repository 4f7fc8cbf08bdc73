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
import { listUserSessions, revokeUserSession, sessionExpiry, validDate } from "./sessions.js";

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

/**
 * Everything the session inspector shows, read from `req.session` and the store: `inspector` as
 * JSON clients get it, and its moments as Dates for the page.
 */
async function inspect(req: Request, deps: AccountRouteDeps) {
  const { cookie } = req.session;
  // From the stored cookie, so possibly out of a Date's range: then shown as unknown.
  const created = validDate(cookie.createdAt);
  const absoluteEnd = created && validDate(created.valueOf() + deps.maxLifetimeMs);
  const storeExpiry = await sessionExpiry(deps.pool, hashStoreKey(req.sessionID));
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
    views: req.session.views ?? {},
  };
  return { inspector, dates: { expires, storeExpiry, created, absoluteEnd } };
}

export function accountRoutes(deps: AccountRouteDeps): Router {
  const { pool, views } = deps;
  const router = Router();

  async function renderAccount(
    req: Request,
    res: Response,
    status = 200,
    errors: FieldErrors = {},
  ) {
    const user = req.user as Express.User;
    const currentKey = hashStoreKey(req.sessionID);
    const sessions = (await listUserSessions(pool, user.id, deps.idleTimeoutMs)).map((s) => ({
      ...s,
      current: s.key === currentKey,
    }));
    const { inspector, dates } = await inspect(req, deps);
    if (wantsJson(req)) {
      res
        .status(status)
        .json({ user: { id: user.id, email: user.email }, session: inspector, sessions, errors });
      return;
    }
    // The page says times as "3 minutes ago" and browsers as "Chrome on Linux"; JSON keeps both raw.
    const now = new Date();
    const when = (date: Date | undefined) => date && timeView(date, now);
    const times = {
      expires: when(dates.expires),
      storeExpiry: when(dates.storeExpiry),
      created: when(dates.created),
      absoluteEnd: when(dates.absoluteEnd),
    };
    const rows = sessions.map((s) => ({
      ...s,
      device: deviceName(s.userAgent),
      loggedInAt: when(s.loggedInAt),
      lastSeen: when(s.lastSeen),
    }));
    views.render(
      res,
      "account",
      { title: "Your account", inspector, times, sessions: rows, errors },
      status,
    );
  }

  // The account page: the session inspector, the session API buttons, your sessions.
  router.get("/account", async (req, res) => {
    noStore(res);
    await renderAccount(req, res);
  });

  // This session was ended (revoked from another one) while the request was in flight.
  const sessionEnded = (res: Response) => {
    clearSessionCookie(res, deps.sessionCookie);
    res.redirect(303, "/login?expired=1");
  };

  const flash = (req: Request, text: string) => {
    req.session.flash = { kind: "info", text };
  };

  // req.session.regenerate(): a new ID; we log the user back in on it, keeping views and lifetime.
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
    const scratch = req.session.views?.["/account"] ?? 0;
    req.session.views = { ...req.session.views, "/account": scratch + 1000 };
    await req.session.reload();
    const reread = req.session.views?.["/account"] ?? 0;
    flash(
      req,
      `Reloaded: an unsaved change (views on /account set to ${scratch + 1000}) was dropped; the store says ${reread}.`,
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

  // Your sessions: end one of them (someone else's key does nothing).
  router.post("/account/sessions/revoke", async (req, res) => {
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
    res.redirect(303, "/account");
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
