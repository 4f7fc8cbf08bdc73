import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import { DEVICE_COOKIE_MAX_AGE_MS } from "../policy.js";
import { readSignedCookie, signValue } from "./signed-value.js";

/**
 * OWASP's device cookie ("Slow Down Online Guessing Attacks with Device Cookies"): a browser
 * that has logged in to an account gets a signed, HttpOnly cookie naming that account. Login
 * attempts that present it are limited per device lane, not by the account-wide counter, so
 * guesses from elsewhere cannot lock the owner out of a browser they have used before.
 *
 * A cookie names the account's session generation too: a password change or reset (which bump
 * it) makes every cookie issued before count as unknown, so browsers that knew the old password
 * get no guesses of their own at the new one. And an account has at most `lanes` counters: each
 * cookie falls in one of them (by its random nonce), however many browsers logged in.
 */
export interface DeviceCookies {
  /** This browser's lane (a counter key) if it carries a current device cookie for `user`. */
  deviceFor(req: Request, user: DeviceUser | undefined): string | undefined;
  /** A fresh device cookie for `user`, after a sign-in. */
  issue(res: Response, user: DeviceUser): void;
  /**
   * The user's generation moved on in this browser (its password change, "log out everywhere
   * else"): a browser that was known stays known. One that was not gets nothing.
   */
  carryOver(req: Request, res: Response, before: DeviceUser, after: DeviceUser): void;
}

/** What a device cookie is bound to. */
export interface DeviceUser {
  id: string;
  sessionGeneration: number;
}

// Signed with a purpose, so no other signed value of this app (a session cookie) can pass.
const PURPOSE = "device";
const MAX_AGE_MS = DEVICE_COOKIE_MAX_AGE_MS;
/** Lanes per account and generation, unless the app says otherwise. */
export const DEVICE_LANES = 4;

export function deviceCookies(options: {
  name: string;
  secure: boolean;
  secrets: string[];
  lanes?: number;
}): DeviceCookies {
  const { name, secure, secrets } = options;
  const lanes = options.lanes ?? DEVICE_LANES;

  function deviceFor(req: Request, user: DeviceUser | undefined) {
    if (user === undefined) return undefined;
    const payload = readSignedCookie(req, name, PURPOSE, secrets);
    const [account, generation, nonce] = payload?.split(".") ?? [];
    if (account !== user.id || generation !== String(user.sessionGeneration) || !nonce) {
      return undefined;
    }
    // The nonce is random and signed: its first byte spreads cookies over the lanes.
    const lane = (Buffer.from(nonce, "base64url")[0] ?? 0) % lanes;
    return `${user.id}.${user.sessionGeneration}.${lane}`;
  }

  function issue(res: Response, user: DeviceUser) {
    const nonce = randomBytes(16).toString("base64url");
    const signed = signValue(PURPOSE, `${user.id}.${user.sessionGeneration}.${nonce}`, secrets);
    res.cookie(name, signed, {
      httpOnly: true,
      secure,
      sameSite: "strict",
      path: "/",
      maxAge: MAX_AGE_MS,
    });
  }

  return {
    deviceFor,
    issue,
    carryOver(req, res, before, after) {
      if (deviceFor(req, before) !== undefined) issue(res, after);
    },
  };
}
