import { randomInt } from "node:crypto";
import { type Request, type Response, Router } from "express";
import { z } from "zod";
import { userIdByEmail } from "../../auth/recovery/addresses.js";
import {
  type CodedTokenOwner,
  codedTokenIsValid,
  consumeCodedToken,
  newToken,
  saveCodedToken,
  tokenDigest,
} from "../../auth/recovery/tokens.js";
import { createUser, findUserById, loginAccount } from "../../auth/users.js";
import {
  fieldErrors,
  forgotPasswordSchema,
  formValue,
  safeReturnPath,
} from "../../auth/validation.js";
import type { Kit } from "../../core/feature.js";
import { AppError, invalidForm, tooManyAttempts } from "../../http/respond.js";
import { noStore, type Views, wantsJson } from "../../http/views.js";
import { localeOf, mailLocale, translator } from "../../i18n/index.js";
import { type Counter, takeAll } from "../../security/password-limits.js";
import type { BindingCookies } from "./binding.js";
import { noAccountMail, signInMail } from "./mails.js";

export interface EmailSignInSettings {
  /** EMAIL_SIGN_IN_CREATES_ACCOUNTS: the link of an address with no account makes one. */
  createsAccounts: boolean;
  /** How long the link and the code work. */
  lifetimeMs: number;
  bindings: BindingCookies;
}

/** What the page (and a script) is told, whatever the address: a catalogue key. */
export const SENT = "email-sign-in.sent.message";

const checkbox = z
  .string()
  .optional()
  .transform((value) => value === "on" || value === "1" || value === "true");
const askSchema = forgotPasswordSchema.extend({ remember: checkbox });
const codeSchema = askSchema.extend({
  code: z
    .string({ error: "email-sign-in.errors.codeFormat" })
    .transform((value) => value.replace(/\s/g, ""))
    .pipe(z.string().regex(/^\d{6}$/, { error: "email-sign-in.errors.codeFormat" })),
});

const WRONG_CODE = "email-sign-in.errors.wrongCode";
const LINK_MESSAGE = "email-sign-in.errors.invalidLink";
const OTHER_BROWSER = "email-sign-in.errors.otherBrowser";

const sixDigits = () => String(randomInt(0, 1_000_000)).padStart(6, "0");

/**
 * Signing in by email. The address is typed on /login ("Email me a sign-in link"); a mail holds
 * a link and a 6-digit code (one row of user_tokens, 15 minutes, once). Opening the link signs
 * no one in: its page has one button, and only that POST, from the browser that asked (its
 * signed cookie), uses the token. Anywhere else, the code is typed in the browser that asked.
 * Both end in the one sign-in pipeline (two-factor, remember me, the device cookie, the trail).
 */
export function emailSignInRoutes(kit: Kit, views: Views, settings: EmailSignInSettings): Router {
  const { pool, csrf, limiter, clock, mailer, config } = kit;
  const { bindings } = settings;
  const router = Router();

  // The core's message page, its words already in the reader's language.
  const invalidLink = (req: Request) => {
    const t = translator(localeOf(req));
    return new AppError(400, "invalid_link", LINK_MESSAGE, {
      page: {
        views,
        view: "/recovery/message",
        locals: {
          title: t("email-sign-in.errors.invalidLinkTitle"),
          message: t(LINK_MESSAGE),
          link: { href: "/login", label: t("email-sign-in.errors.askNewLink") },
        },
      },
    });
  };

  const otherBrowser = (req: Request) => {
    const t = translator(localeOf(req));
    return new AppError(403, "other_browser", OTHER_BROWSER, {
      page: {
        views,
        view: "/recovery/message",
        locals: { title: t("email-sign-in.errors.otherBrowserTitle"), message: t(OTHER_BROWSER) },
      },
    });
  };

  /** The page after "Email me a sign-in link": the code form (or the address form again). */
  function page(
    req: Request,
    res: Response,
    values: { email: string; remember: boolean; next?: string | undefined },
    sent: boolean,
  ) {
    noStore(res);
    return {
      views,
      view: "sent",
      locals: {
        title: sent ? "email-sign-in.sent.titleSent" : "email-sign-in.sent.titleAsk",
        sent,
        minutes: Math.round(settings.lifetimeMs / 60_000),
        values: { ...values, next: values.next ?? "" },
        formToken: csrf.formToken(req, res),
      },
    };
  }

  const typed = (body: unknown) => ({
    email: formValue(body, "email"),
    remember: formValue(body, "remember") === "on",
    next: safeReturnPath((body as { next?: unknown } | undefined)?.next),
  });

  /** The typed address's own key and its account's (one when there is no account). */
  function pairs(counter: Counter, account: { key: string; addressKey: string }, lane: string) {
    const keys = [...new Set([account.key, account.addressKey])];
    return keys.map((key): [Counter, string] => [counter, `${lane}:${key}`]);
  }

  // "Email me a sign-in link". The same page, status and work whatever the address: one lookup,
  // one point on each mail limit (as /password/forgot), one signed cookie, one queued job that
  // decides, after the answer, what the mail says.
  router.post("/login/email", async (req, res) => {
    const parsed = askSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw invalidForm(400, fieldErrors(parsed.error), page(req, res, typed(req.body), false));
    }
    const { email, remember } = parsed.data;
    const next = safeReturnPath(req.body?.next);
    const account = await loginAccount(pool, email);
    const attempt = await takeAll([
      [limiter.mailByAddress, account.addressKey],
      [limiter.mailByAccount, account.key],
    ]);
    if (!attempt.allowed) {
      const limit = tooManyAttempts(attempt.retryAfterSeconds, "signInMails");
      throw invalidForm(429, { email: limit.text }, page(req, res, typed(req.body), false), limit);
    }
    const token = newToken();
    const code = sixDigits();
    bindings.set(res, {
      tokenDigest: tokenDigest(token),
      email,
      remember,
      ...(next ? { next } : {}),
    });
    const userId = account.userId;
    mailer.queue("email sign-in mail", async () => {
      const user = userId === undefined ? undefined : await findUserById(pool, userId);
      const times = { now: clock(), lifetimeMs: settings.lifetimeMs };
      const link = `${config.appUrl}/login/email/${token}`;
      if (user) {
        await saveCodedToken(
          pool,
          token,
          { userId: user.id, email: user.email },
          "sign_in",
          code,
          times,
        );
        return mailer.send(
          user.email,
          signInMail(link, code, settings.lifetimeMs, false),
          mailLocale(user, req),
        );
      }
      if (settings.createsAccounts) {
        await saveCodedToken(pool, token, { userId: null, email }, "sign_in", code, times);
        return mailer.send(
          email,
          signInMail(link, code, settings.lifetimeMs, true),
          mailLocale(undefined, req),
        );
      }
      await mailer.send(
        email,
        noAccountMail(`${config.appUrl}/register`),
        mailLocale(undefined, req),
      );
    });
    req.log?.info("email sign-in requested");
    if (wantsJson(req)) return void res.json({ message: translator(localeOf(req))(SENT) });
    const sent = page(req, res, { email, remember, next }, true);
    views.render(res, sent.view, { ...sent.locals, errors: {} });
  });

  // The code, typed where the address was entered. Each try is counted first, per account and
  // per address (5 each), as password guesses are (the shared limiter, and the device lanes); a
  // right code gives its point back. Over the limit, even the right code waits for the window.
  router.post("/login/email/code", async (req, res) => {
    // The page's form sends the code alone (so that page is the same whatever the address): the
    // address typed, "remember me" and where to go are this browser's cookie's. A script, or a
    // person who types the address again, sends `email` (and `remember`, `next`) itself.
    const body: Record<string, unknown> = { ...(req.body ?? {}) };
    const binding = bindings.current(req);
    if (binding && (body.email === undefined || body.email === "")) {
      body.email = binding.email;
      if (body.remember === undefined && binding.remember) body.remember = "on";
      if (body.next === undefined && binding.next) body.next = binding.next;
    }
    const parsed = codeSchema.safeParse(body);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      throw invalidForm(400, errors, page(req, res, typed(body), !errors.email));
    }
    const { email, code, remember } = parsed.data;
    const next = safeReturnPath(body.next);
    const account = await loginAccount(pool, email);
    // A browser holding the account's device cookie counts in its own lane (5, as for the
    // second factor's codes): someone typing wrong codes for the address cannot lock it out.
    const device = kit.devices.deviceFor(req, account.user);
    const attempt = await takeAll(
      device
        ? [[limiter.secondFactorByDevice, `email_code:${device}`]]
        : pairs(limiter.loginByAccount, account, "email_code"),
    );
    if (!attempt.allowed) {
      const limit = tooManyAttempts(attempt.retryAfterSeconds, "wrongCodes");
      throw invalidForm(429, { code: limit.text }, page(req, res, typed(body), true), limit);
    }
    const owner = await consumeCodedToken(pool, { email, code }, "sign_in", clock());
    if (!owner) {
      req.log?.info("email sign-in code refused");
      throw invalidForm(401, { code: WRONG_CODE }, page(req, res, typed(body), true));
    }
    await attempt.giveBack();
    bindings.clear(res);
    await finish(req, res, owner, { method: "email_code", remember, next });
  });

  // The link in the mail: a page with one button. Opening it uses nothing (mail scanners open
  // every link, and some press buttons too); in another browser the page says to use the code.
  router.get("/login/email/:token", async (req, res) => {
    const { token } = req.params;
    if (!(await codedTokenIsValid(pool, token, "sign_in", clock()))) throw invalidLink(req);
    noStore(res);
    // Not `here`: every page has that (its own address, for the language switcher).
    const askedHere = bindings.matching(req, tokenDigest(token)) !== undefined;
    views.render(res, "link", {
      title: "email-sign-in.link.title",
      askedHere,
      otherBrowser: OTHER_BROWSER,
      formToken: csrf.formToken(req, res),
    });
  });

  // "Sign in": only in the browser that asked (its cookie names this token) is the token used,
  // by one DELETE ... RETURNING, so of any number of presses at once, one signs in.
  router.post("/login/email/:token", async (req, res) => {
    const { token } = req.params;
    const binding = bindings.matching(req, tokenDigest(token));
    if (!binding) throw otherBrowser(req);
    const owner = await consumeCodedToken(pool, { token }, "sign_in", clock());
    if (!owner) throw invalidLink(req);
    bindings.clear(res);
    await finish(req, res, owner, {
      method: "email_link",
      remember: binding.remember,
      next: binding.next,
    });
  });

  /**
   * The mailbox is proven: the account (made now if allowed), its address marked verified (the
   * first time, what was added while it was unproven goes), then the one sign-in pipeline.
   */
  async function finish(
    req: Request,
    res: Response,
    owner: CodedTokenOwner,
    how: { method: string; remember: boolean; next: string | undefined },
  ) {
    let userId = owner.userId;
    let newAccount = false;
    if (userId === null) {
      if (!settings.createsAccounts) throw invalidLink(req);
      const created = await createUser(pool, owner.email, null, { emailVerified: true });
      if (created === "taken") userId = (await userIdByEmail(pool, owner.email)) ?? null;
      else {
        userId = created.id;
        newAccount = true;
        req.log?.info({ userId }, "user registered by an email sign-in");
      }
      if (userId === null) throw invalidLink(req);
    }
    // A password chosen before the address was proven may be a squatter's: it goes too.
    if (!newAccount)
      await kit.proveAddress(req, userId, { keepSession: false, password: "remove" });
    // Read again: proving the address may have begun a new session generation.
    const user = await findUserById(pool, userId);
    if (!user) throw invalidLink(req);
    await kit.signIn.firstFactor(req, res, user, {
      method: how.method,
      remember: how.remember,
      next: how.next,
      newAccount,
      ...(newAccount ? { flash: { kind: "info" as const, text: "email-sign-in.welcome" } } : {}),
    });
  }

  return router;
}
