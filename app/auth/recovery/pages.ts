import type { Request, Response } from "express";
import { noStore, type Views, wantsJson } from "../../http/views.js";

/** A link that is unknown, used, expired or not this user's: one answer for all of them. */
export function invalidLink(req: Request, res: Response, views: Views): void {
  noStore(res);
  if (wantsJson(req)) {
    res.status(400).json({ error: "invalid_link" });
    return;
  }
  views.render(
    res,
    "recovery/message",
    {
      title: "This link does not work",
      message:
        "This link is invalid, was already used, has expired, or a newer one was sent. Ask for a new one.",
      link: { href: "/password/forgot", label: "Ask for a new password reset link" },
    },
    400,
  );
}
