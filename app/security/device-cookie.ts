import { randomBytes } from "node:crypto";
import { parse } from "cookie";
import signature from "cookie-signature";
import type { Request, Response } from "express";

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
      const header = req.headers.cookie;
      const value = header ? parse(header)[name] : undefined;
      if (!value) return undefined;
      for (const secret of secrets) {
        const unsigned = signature.unsign(value, secret);
        if (unsigned === false) continue;
        const [purpose, account, nonce] = unsigned.split(".");
        return purpose === PURPOSE && account === userId && nonce ? nonce : undefined;
      }
      return undefined;
    },
    issue(res, userId) {
      const nonce = randomBytes(16).toString("base64url");
      const signed = signature.sign(`${PURPOSE}.${userId}.${nonce}`, secrets[0] as string);
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
