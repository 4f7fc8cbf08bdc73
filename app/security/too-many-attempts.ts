import type { Request, Response } from "express";
import { type Views, wantsJson } from "../http/views.js";

/** The answer to a refused attempt (password-limits.ts): 429, with when to try again. */
export function tooManyAttempts(
  req: Request,
  res: Response,
  views: Views,
  retryAfterSeconds: number,
  what: string,
): void {
  res.set("Retry-After", String(retryAfterSeconds));
  const message = `Too many ${what}. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`;
  if (wantsJson(req)) {
    res.status(429).json({ error: "too_many_attempts", retryAfter: retryAfterSeconds, message });
    return;
  }
  views.render(res, "error", { title: "Too many attempts", status: 429, message }, 429);
}
