import { AppError } from "../../http/respond.js";
import type { Views } from "../../http/views.js";

/** A link that is unknown, used, expired or not this user's: one answer for all of them. */
export const invalidLink = (views: Views): AppError =>
  new AppError(400, "invalid_link", "recovery.invalidLink.message", {
    page: {
      views,
      view: "recovery/message",
      locals: {
        title: "recovery.invalidLink.title",
        message: "recovery.invalidLink.message",
        link: { href: "/password/forgot", label: "recovery.invalidLink.action" },
      },
    },
  });
