import type { Request, Response } from "express";
import type pg from "pg";
import { endSessionsOverLimit } from "../account/sessions.js";
import { exactTime } from "../http/time-format.js";
import { deviceName } from "../http/user-agent.js";
import type { Mailer } from "../mail/mailer.js";
import { newDeviceMail } from "../mail/templates.js";
import type { DeviceCookies } from "../security/device-cookie.js";
import { hashStoreKey } from "../session/index.js";
import { recordEvent, type SignInMethod } from "./record.js";

/** What every sign-in does once the user is logged in (password, second factor, OIDC). */
export interface SignIns {
  /**
   * Ends the user's least recently used sessions beyond the limit per user (recorded), records
   * the sign-in, mails a notice if this browser never signed in to the account before
   * (no device cookie for it: checked before the new one is issued), then issues the cookie.
   * `newAccount`: the account was made by this sign-in, so there is nobody to warn.
   */
  signedIn(
    req: Request,
    res: Response,
    user: Express.User,
    method: SignInMethod,
    options?: { newAccount?: boolean },
  ): Promise<void>;
}

export function createSignIns(deps: {
  pool: pg.Pool;
  devices: DeviceCookies;
  mailer: Mailer;
  appUrl: string;
  /** SESSION_MAX_PER_USER: live sessions per user, this new one included. */
  maxSessionsPerUser: number;
}): SignIns {
  const { pool, devices, mailer, appUrl } = deps;
  return {
    async signedIn(req, res, user, method, options = {}) {
      const known = devices.deviceFor(req, user) !== undefined;
      const ended = await endSessionsOverLimit(pool, user.id, {
        newKey: hashStoreKey(req.sessionID),
        max: deps.maxSessionsPerUser,
      });
      if (ended > 0) {
        req.log?.info({ userId: user.id, ended }, "sessions over the limit per user ended");
        await recordEvent(pool, { userId: user.id, kind: "sessions_over_limit_ended", req });
      }
      await recordEvent(pool, { userId: user.id, kind: "sign_in", method, req });
      if (!known && !options.newAccount) {
        const device = deviceName(req.get("user-agent"));
        const when = exactTime(new Date());
        const ip = req.ip ?? "unknown";
        mailer.queue("new device notice", () =>
          mailer.send(
            user.email,
            newDeviceMail({ device, when, ip, sessionsUrl: `${appUrl}/account` }),
          ),
        );
      }
      devices.issue(res, user);
    },
  };
}
