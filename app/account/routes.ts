import { type Request, Router } from "express";
import type pg from "pg";
import { type SessionCookie, sessionEnded } from "../auth/session-cookie.js";
import { endOtherSessions } from "../auth/session-generation.js";
import type { Events } from "../core/events.js";
import { type Guards, privateRouter, userOf } from "../core/guards.js";
import { type PagePart, partsJson, renderParts } from "../core/page-parts.js";
import { timeView } from "../http/time-format.js";
import { deviceName } from "../http/user-agent.js";
import { type Views, wantsJson } from "../http/views.js";
import { localeOf, type Message, msg } from "../i18n/index.js";
import { hashStoreKey } from "../session/index.js";
import {
  listUserSessions,
  revokeUserSession,
  SESSIONS_ON_ACCOUNT_PAGE,
  type SessionPage,
} from "./sessions.js";

export interface AccountRouteDeps {
  pool: pg.Pool;
  views: Views;
  sessionCookie: SessionCookie;
  idleTimeoutMs: number;
  guards: Guards;
  events: Events;
  /** The features' panels on the account page, after the core's (email, sessions). */
  sections: readonly PagePart[];
}

/** How many sessions a page of "All your sessions" (/account/sessions) lists. */
export const SESSIONS_PER_PAGE = 50;

export function accountRoutes(deps: AccountRouteDeps): Router {
  const { pool, views, events } = deps;
  // The account page is open to a user whose address is not verified yet (it says why the
  // rest is not); every other route here needs a verified one (REQUIRE_EMAIL_VERIFICATION).
  const open = privateRouter(deps.guards, { unverified: true });
  const router = privateRouter(deps.guards);

  /** One page of the user's sessions, marked `current`, and with their names and times for a page. */
  async function sessionPage(req: Request, limit: number, offset: number) {
    const user = userOf(req);
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

  // The page says times as "3 minutes ago" and browsers as "Chrome on Linux", in the reader's
  // language; JSON keeps both raw.
  const sessionRows = (
    sessions: Awaited<ReturnType<typeof sessionPage>>["sessions"],
    now: Date,
    locale: string,
  ) =>
    sessions.map((s) => ({
      ...s,
      device: deviceName(s.userAgent, locale),
      loggedInAt: s.loggedInAt && timeView(s.loggedInAt, now, locale),
      lastSeen: s.lastSeen && timeView(s.lastSeen, now, locale),
    }));

  // The account page: your email address and the features' panels. Its JSON keeps the newest
  // sessions (a script's answer); the page lists them under "Sessions and devices".
  open.get("/account", async (req, res) => {
    const user = userOf(req);
    if (wantsJson(req)) {
      // The newest few only: a user may have hundreds, and this answer must stay small.
      const { sessions, more } = await sessionPage(req, SESSIONS_ON_ACCOUNT_PAGE, 0);
      res.json({
        user: { id: user.id, email: user.email },
        sessions,
        moreSessions: more,
        ...(await partsJson(req, deps.sections)),
      });
      return;
    }
    views.render(res, "account", {
      title: "account.title",
      parts: await renderParts(req, res, deps.sections),
      errors: {},
    });
  });

  // Sessions and devices: all your sessions, a page at a time (?page=2).
  router.get("/account/sessions", async (req, res) => {
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
      title: "sessions.title",
      sessions: sessionRows(sessions, new Date(), localeOf(req)),
      page,
      more,
    });
  });

  const flash = (req: Request, text: Message) => {
    req.session.flash = { kind: "info", text };
  };

  // Your sessions: end one of them (someone else's key does nothing); back to the page it was on.
  // (A form without `page`, as the account page used to post: the first page.)
  router.post("/account/sessions/revoke", async (req, res) => {
    const page = Number(req.body?.page);
    const back =
      Number.isSafeInteger(page) && page >= 1
        ? `/account/sessions?page=${page}`
        : "/account/sessions";
    const key = typeof req.body?.key === "string" ? req.body.key : "";
    const user = userOf(req);
    if (key === hashStoreKey(req.sessionID)) {
      flash(req, "sessions.flash.current");
    } else {
      const ended = /^[0-9a-f]{64}$/.test(key) && (await revokeUserSession(pool, user.id, key));
      if (ended) await events.record({ userId: user.id, kind: "session_revoked", req });
      flash(req, ended ? "sessions.flash.ended" : "sessions.flash.gone");
    }
    res.redirect(303, back);
  });

  // Log out everywhere else: every other session of this user ends.
  router.post("/account/sessions/revoke-others", async (req, res) => {
    const count = await endOtherSessions(pool, req);
    if (count === false) throw sessionEnded(res, deps.sessionCookie);
    const userId = userOf(req).id;
    await events.record({ userId, kind: "other_sessions_revoked", req });
    flash(req, msg("sessions.flash.othersEnded", { count }));
    res.redirect(303, "/account/sessions");
  });

  return Router().use(open, router);
}
