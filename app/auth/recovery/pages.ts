import { AppError } from "../../http/respond.js";
import type { Views } from "../../http/views.js";

/** A link that is unknown, used, expired or not this user's: one answer for all of them. */
export const invalidLink = (views: Views): AppError =>
  new AppError(
    400,
    "invalid_link",
    "This link is invalid, was already used, has expired, or a newer one was sent. Ask for a new one.",
    {
      page: {
        views,
        view: "recovery/message",
        locals: {
          title: "This link does not work",
          message:
            "This link is invalid, was already used, has expired, or a newer one was sent. Ask for a new one.",
          link: { href: "/password/forgot", label: "Ask for a new password reset link" },
        },
      },
    },
  );
