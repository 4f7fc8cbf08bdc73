import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import { readSignedCookie, signValue } from "./signed-value.js";

/**
 * OWASP's device cookie ("Slow Down Online Guessing Attacks with Device Cookies"): a browser
 * that has logged in to an account gets a signed, HttpOnly cookie naming that account. Login
 * attempts that present it are limited per device, not by the account-wide counter, so guesses
 * from elsewhere cannot lock the owner out of a browser they have used before.
 */
export interface DeviceCookies {
  /** The device (its nonce) if the request carries a valid device cookie for `userId`. */
  deviceFor(req: Request, userId: string | undefined): string | undefined;
  /** A fresh device cookie for `userId`, after a right password. */
  issue(res: Response, userId: string): void;
}

// Signed with a purpose, so no other signed value of this app (a session cookie) can pass.
const PURPOSE = "device";
const MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

export function deviceCookies(options: {
  name: string;
  secure: boolean;
  secrets: string[];
}): DeviceCookies {
  const { name, secure, secrets } = options;
  return {
    deviceFor(req, userId) {
      if (userId === undefined) return undefined;
      const payload = readSignedCookie(req, name, PURPOSE, secrets);
      const [account, nonce] = payload?.split(".") ?? [];
      return account === userId && nonce ? nonce : undefined;
    },
    issue(res, userId) {
      const nonce = randomBytes(16).toString("base64url");
      const signed = signValue(PURPOSE, `${userId}.${nonce}`, secrets);
      res.cookie(name, signed, {
        httpOnly: true,
        secure,
        sameSite: "strict",
        path: "/",
        maxAge: MAX_AGE_MS,
      });
    },
  };
}
