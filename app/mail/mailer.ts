import nodemailer from "nodemailer";
import type { Logger } from "../logger.js";
import { type MailContent, renderMail } from "./message.js";
import { DevOutbox } from "./outbox.js";

export interface MailerOptions {
  /** smtp:// or smtps:// URL; unset: the development outbox. */
  smtpUrl: string | undefined;
  from: string;
  /** APP_NAME: each mail's sign-off. */
  appName: string;
  logger: Logger;
}

/**
 * Sends the app's mails: over SMTP (nodemailer) when SMTP_URL is set, else into the development
 * outbox (GET /dev/mail, and the links logged at info).
 *
 * Routes hand their mail work to `queue()`: it runs after the response, so how long SMTP takes
 * (or whether there was anything to send) cannot be timed from outside. Its errors are logged,
 * never lost.
 */
export interface Mailer {
  /** `locale`: the recipient's language (app/i18n's mailLocale). */
  send(to: string, content: MailContent, locale: string): Promise<void>;
  /** Runs `job` in the background; an error is logged with `what`. */
  queue(what: string, job: () => Promise<void>): void;
  /** How many jobs were queued so far (tests compare paths that must do the same work). */
  readonly queued: number;
  /** Resolves once every queued job has ended. */
  idle(): Promise<void>;
  /** The development outbox, when there is no SMTP server. */
  readonly outbox: DevOutbox | undefined;
  close(): Promise<void>;
}

export function createMailer({ smtpUrl, from, appName, logger }: MailerOptions): Mailer {
  const transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined;
  const outbox = transport ? undefined : new DevOutbox();
  const running = new Set<Promise<void>>();
  let queued = 0;

  async function send(to: string, content: MailContent, locale: string): Promise<void> {
    const mail = renderMail(content, appName, locale);
    if (transport) {
      await transport.sendMail({ from, to, ...mail });
      logger.info({ subject: mail.subject }, "mail sent");
      return;
    }
    const stored = outbox?.add({ from, to, ...mail });
    logger.info(
      { to, subject: mail.subject, links: content.action ? [content.action.url] : [] },
      `mail in the development outbox (GET /dev/mail/${stored?.id})`,
    );
  }

  return {
    send,
    queue(what, job) {
      queued += 1;
      const run = (async () => {
        try {
          await job();
        } catch (error) {
          logger.error({ err: error }, `${what}: failed`);
        }
      })();
      running.add(run);
      void run.finally(() => running.delete(run));
    },
    get queued() {
      return queued;
    },
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
    outbox,
    async close() {
      await this.idle();
      transport?.close();
    },
  };
}
