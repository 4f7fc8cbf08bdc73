import type { Feature } from "../../core/feature.js";
import { userOf } from "../../core/guards.js";
import { exactTime } from "../../http/time-format.js";
import { deviceName } from "../../http/user-agent.js";
import { localeOf, mailLocale, translator } from "../../i18n/index.js";
import { newDeviceMail } from "../../mail/templates.js";
import { deleteInBatches } from "../../maintenance/batches.js";
import { describeEvent } from "./describe.js";
import { listEvents } from "./list.js";

// A user-agent string is the client's to choose: stored, but never longer than this.
const MAX_USER_AGENT = 200;
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * The security activity trail: every account event stored (kind, sign-in method, address,
 * browser, time), the last 50 on the security page, kept ACTIVITY_RETENTION_DAYS; and a mail
 * when an account is signed in to from a browser it was never signed in to before.
 */
export const activity: Feature = {
  name: "activity",
  setup(kit) {
    const { pool, mailer, config } = kit;
    const views = kit.views.at(new URL("./views/", import.meta.url));
    return {
      async onEvent(event) {
        const userAgent = event.req.get("user-agent")?.slice(0, MAX_USER_AGENT) ?? null;
        await pool.query(
          `insert into security_events (user_id, kind, method, ip, user_agent)
           values ($1, $2, $3, $4, $5)`,
          [event.userId, event.kind, event.method ?? null, event.req.ip ?? null, userAgent],
        );
      },
      // A user's recent events, for whoever asks (kit.events.recent: the admin area).
      eventLog: (userId, limit) => listEvents(pool, userId, limit),
      // A notice when a browser with no device cookie for the account signs in to it.
      async onSignIn({ req, user, knownDevice, newAccount }) {
        if (knownDevice || newAccount) return;
        // In the language the account reads its mails in: the device and the time too.
        const locale = mailLocale(user, req);
        const device = deviceName(req.get("user-agent"), locale);
        const when = exactTime(new Date(), "UTC", locale);
        const ip = req.ip ?? translator(locale)("activity.unknownAddress");
        mailer.queue("new device notice", () =>
          mailer.send(
            user.email,
            newDeviceMail({ device, when, ip, sessionsUrl: `${config.appUrl}/account/sessions` }),
            locale,
          ),
        );
      },
      securitySections: [
        {
          id: "activity",
          scripts: ["/static/local-times.js"],
          async render(req, res) {
            const events = await listEvents(pool, userOf(req).id);
            const now = new Date();
            const locale = localeOf(req);
            const lines = events.map((event) => describeEvent(event, kit.eventKinds, now, locale));
            return views.html(res, "activity", { activity: lines });
          },
          json: async (req) => ({
            activity: await listEvents(pool, userOf(req).id),
          }),
        },
      ],
      // Security events older than ACTIVITY_RETENTION_DAYS (IDX_security_events_time).
      maintenance: [
        {
          name: "activity",
          everyMs: HOUR,
          run: (db, { now, batchSize, restRatio, stopped }) =>
            deleteInBatches(db, {
              table: "security_events",
              key: "id",
              where: "created_at < $1",
              values: [new Date(now.valueOf() - config.activityRetentionDays * DAY)],
              batchSize,
              restRatio,
              stopped,
            }),
        },
      ],
    };
  },
};
