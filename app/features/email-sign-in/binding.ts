import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import type { Clock } from "../../clock.js";
import { readSignedCookie, signValue } from "../../security/signed-value.js";

/**
 * Which browser asked for the link: set when the address is entered, in a signed, HttpOnly
 * cookie that names the token (by its SHA-256, as the row does), with the address typed,
 * "remember me" and where to go after. The link signs in only where this cookie is: a mail
 * scanner, or the link opened on another device, has none, so its "Sign in" uses nothing up
 * (the code is for that case). The code form's page need not repeat the address: it is here.
 */
export interface Binding {
  /** The token's SHA-256 (hex). */
  tokenDigest: string;
  /** The address typed (the code form sends it only if the person types it again). */
  email: string;
  remember: boolean;
  next?: string;
  /** ms since the epoch, by the app's clock. */
  expiresAt: number;
}

const PURPOSE = "email-sign-in";

export interface BindingCookies {
  set(res: Response, binding: Omit<Binding, "expiresAt">): void;
  /** This browser's binding, if its cookie is there, genuine and unexpired. */
  current(req: Request): Binding | undefined;
  /** The same, if it names `tokenDigest` (the link's token). */
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
  function current(req: Request): Binding | undefined {
    const body = readSignedCookie(req, name, PURPOSE, secrets);
    if (body === undefined) return undefined;
    let binding: Partial<Binding>;
    try {
      binding = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Partial<Binding>;
    } catch {
      return undefined;
    }
    const { tokenDigest, email, expiresAt } = binding;
    if (typeof tokenDigest !== "string" || typeof email !== "string") return undefined;
    if (typeof expiresAt !== "number" || expiresAt <= clock()) return undefined;
    return {
      tokenDigest,
      email,
      remember: binding.remember === true,
      ...(typeof binding.next === "string" ? { next: binding.next } : {}),
      expiresAt,
    };
  }

  return {
    set(res, binding) {
      const body = Buffer.from(
        JSON.stringify({ ...binding, expiresAt: clock() + lifetimeMs }),
      ).toString("base64url");
      res.cookie(name, signValue(PURPOSE, body, secrets), { ...attributes, maxAge: lifetimeMs });
    },
    current,
    matching(req, tokenDigest) {
      const binding = current(req);
      if (!binding) return undefined;
      const a = Buffer.from(binding.tokenDigest);
      const b = Buffer.from(tokenDigest);
      return a.length === b.length && timingSafeEqual(a, b) ? binding : undefined;
    },
    clear(res) {
      res.clearCookie(name, attributes);
    },
  };
}
