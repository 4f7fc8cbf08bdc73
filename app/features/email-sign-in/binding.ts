import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import type { Clock } from "../../clock.js";
import { readSignedCookie, signValue } from "../../security/signed-value.js";

/**
 * Which browser asked for the link: set when the address is entered, in a signed, HttpOnly
 * cookie that names the token (by its SHA-256, as the row does), with "remember me" and where to
 * go after. The link signs in only where this cookie is: a mail scanner, or the link opened on
 * another device, has none, so its "Sign in" uses nothing up (the code is for that case).
 */
export interface Binding {
  /** The token's SHA-256 (hex). */
  tokenDigest: string;
  remember: boolean;
  next?: string;
  /** ms since the epoch, by the app's clock. */
  expiresAt: number;
}

const PURPOSE = "email-sign-in";

export interface BindingCookies {
  set(res: Response, binding: Omit<Binding, "expiresAt">): void;
  /** This browser's binding, if its cookie is there, genuine, unexpired and names `tokenDigest`. */
  matching(req: Request, tokenDigest: string): Binding | undefined;
  clear(res: Response): void;
}

export function bindingCookies(options: {
  name: string;
  secure: boolean;
  secrets: string[];
  clock: Clock;
  lifetimeMs: number;
}): BindingCookies {
  const { name, secure, secrets, clock, lifetimeMs } = options;
  const attributes = { httpOnly: true, secure, sameSite: "lax" as const, path: "/" };
  return {
    set(res, binding) {
      const body = Buffer.from(
        JSON.stringify({ ...binding, expiresAt: clock() + lifetimeMs }),
      ).toString("base64url");
      res.cookie(name, signValue(PURPOSE, body, secrets), { ...attributes, maxAge: lifetimeMs });
    },
    matching(req, tokenDigest) {
      const body = readSignedCookie(req, name, PURPOSE, secrets);
      if (body === undefined) return undefined;
      let binding: Partial<Binding>;
      try {
        binding = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Partial<Binding>;
      } catch {
        return undefined;
      }
      const { tokenDigest: named, expiresAt } = binding;
      if (typeof named !== "string" || typeof expiresAt !== "number") return undefined;
      if (expiresAt <= clock()) return undefined;
      const a = Buffer.from(named);
      const b = Buffer.from(tokenDigest);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
      return {
        tokenDigest: named,
        remember: binding.remember === true,
        ...(typeof binding.next === "string" ? { next: binding.next } : {}),
        expiresAt,
      };
    },
    clear(res) {
      res.clearCookie(name, attributes);
    },
  };
}
