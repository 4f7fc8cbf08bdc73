import type pg from "pg";
import { DEFAULT_LOCALE, supportedLocale } from "../../i18n/index.js";
import type { Mailer } from "../../mail/mailer.js";
import {
  addressChangeRequestedMail,
  addressTakenMail,
  confirmNewAddressMail,
  passwordChangedMail,
  resetPasswordMail,
  type UnprovenAccess,
  unprovenAccessRemovedMail,
  verifyEmailMail,
} from "../../mail/templates.js";
import { findUserById } from "../users.js";
import { userIdByEmail } from "./addresses.js";
import { deleteUserTokens, issueToken } from "./tokens.js";

export interface RecoveryOptions {
  pool: pg.Pool;
  mailer: Mailer;
  /** Public base URL of the links (APP_URL), no trailing slash. */
  appUrl: string;
  resetTokenMs: number;
  emailTokenMs: number;
}

/**
 * What the recovery flows send, each queued to run after the response (mailer.queue): the
 * request does the same work whether or not there is an account, and the answer cannot be
 * timed to tell. Every mail goes to the address on file, never to the one typed.
 *
 * `locale`: the language of the request that causes the mail (app/i18n's localeOf(req)). Each
 * mail is in its recipient's saved language, else in that one (mailLocale).
 */
export interface Recovery {
  /** Forgot password: a reset link if `userId` names an account, nothing otherwise. */
  sendPasswordReset(userId: string | undefined, locale?: string): void;
  /** A verification link to the user's address (at sign-up, "Resend"). */
  sendVerification(userId: string, locale?: string): void;
  /** A confirm link to the new address (or, if it has an account, a note to its owner) and a notice to the old one. */
  requestAddressChange(userId: string, newEmail: string, locale?: string): void;
  /** Every password change and reset: older links stop working; a notice to the address. */
  afterPasswordChange(userId: string, locale?: string): Promise<void>;
  /** The address was proven for the first time: a mail saying what that removed. */
  unprovenAccessRemoved(userId: string, removed: UnprovenAccess, locale?: string): void;
}

/**
 * A mail's language, as app/i18n's mailLocale: the recipient's saved preference, else
 * `requestLocale` (the language of the request that caused it, worked out while that request
 * was there: the mail is made after the answer).
 */
const recipientLocale = (
  recipient: { locale?: string | null } | undefined,
  requestLocale = DEFAULT_LOCALE,
): string => supportedLocale(recipient?.locale) ?? requestLocale;

export function createRecovery(options: RecoveryOptions): Recovery {
  const { pool, mailer, appUrl } = options;
  const link = (path: string) => `${appUrl}${path}`;

  const withUser = (what: string, userId: string, job: (user: Express.User) => Promise<void>) =>
    mailer.queue(what, async () => {
      const user = await findUserById(pool, userId);
      if (user) await job(user);
    });

  return {
    sendPasswordReset(userId, locale) {
      mailer.queue("password reset mail", async () => {
        // No account: nothing to send; the request did the same work either way.
        if (userId === undefined) return;
        const user = await findUserById(pool, userId);
        if (!user) return;
        const token = await issueToken(pool, user.id, "reset", options.resetTokenMs);
        await mailer.send(
          user.email,
          resetPasswordMail(link(`/password/reset/${token}`), options.resetTokenMs),
          recipientLocale(user, locale),
        );
      });
    },

    sendVerification(userId, locale) {
      withUser("verification mail", userId, async (user) => {
        if (user.emailVerifiedAt) return;
        const token = await issueToken(pool, user.id, "verify", options.emailTokenMs);
        await mailer.send(
          user.email,
          verifyEmailMail(link(`/email/verify/${token}`), options.emailTokenMs),
          recipientLocale(user, locale),
        );
      });
    },

    requestAddressChange(userId, newEmail, locale) {
      withUser("change of address mails", userId, async (user) => {
        const ownerId = await userIdByEmail(pool, newEmail);
        if (ownerId === undefined) {
          const token = await issueToken(
            pool,
            user.id,
            "change_email",
            options.emailTokenMs,
            newEmail,
          );
          await mailer.send(
            newEmail,
            confirmNewAddressMail(link(`/email/change/${token}`), options.emailTokenMs),
            recipientLocale(user, locale),
          );
        } else {
          // Told to the address's owner only (in their language): the page said the same as
          // for a free address.
          const owner = await findUserById(pool, ownerId);
          await mailer.send(
            newEmail,
            addressTakenMail(link("/login")),
            recipientLocale(owner, locale),
          );
        }
        await mailer.send(
          user.email,
          addressChangeRequestedMail(newEmail, link("/account")),
          recipientLocale(user, locale),
        );
      });
    },

    async afterPasswordChange(userId, locale) {
      await deleteUserTokens(pool, userId);
      withUser("password changed notice", userId, (user) =>
        mailer.send(
          user.email,
          passwordChangedMail(link("/password/forgot")),
          recipientLocale(user, locale),
        ),
      );
    },

    unprovenAccessRemoved(userId, removed, locale) {
      withUser("ways in removed notice", userId, (user) =>
        mailer.send(
          user.email,
          unprovenAccessRemovedMail(removed, link("/account/security")),
          recipientLocale(user, locale),
        ),
      );
    },
  };
}
