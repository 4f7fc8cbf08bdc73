import type { AddressInfo } from "node:net";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { onTestFinished } from "vitest";

/** A mail as the test SMTP server received it, parsed by mailparser. */
export interface ReceivedMail {
  to: string[];
  from: string;
  /** The From's display name, as a mail client shows it. */
  fromName: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtp {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  /** Every mail so far, oldest first. */
  readonly mails: ReceivedMail[];
  mailsTo(address: string): ReceivedMail[];
  /** The next mail to `address` not returned before: waits for it to arrive. */
  nextMailTo(address: string): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) =>
    group.value.map((entry) => (entry.address ?? "").toLowerCase()),
  );

/**
 * A real SMTP server (smtp-server) on 127.0.0.1, any free port, for the app's SMTP_URL; mails
 * are parsed with mailparser before the server answers, so a mail the app has finished sending
 * is already in `mails`. Stopped when the current test ends (or by close()).
 */
export async function startTestSmtp(
  options: {
    autoClose?: boolean;
    /** Mails with these subjects are received and dropped (a story about other mails). */
    ignoreSubjects?: string[];
  } = {},
): Promise<TestSmtp> {
  const ignored = new Set(options.ignoreSubjects ?? []);
  const mails: ReceivedMail[] = [];
  const returned = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          if (ignored.has(parsed.subject ?? "")) return callback();
          mails.push({
            to: addresses(parsed.to),
            from: addresses(parsed.from)[0] ?? "",
            fromName: parsed.from?.value[0]?.name ?? "",
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
          });
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;

  const mailsTo = (address: string) =>
    mails.filter((mail) => mail.to.includes(address.toLowerCase()));

  let closed = false;
  const smtp: TestSmtp = {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    mailsTo,
    nextMailTo(address) {
      return new Promise((resolve) => {
        const check = () => {
          const mail = mailsTo(address).find((m) => !returned.has(m));
          if (!mail) return;
          returned.add(mail);
          waiters.delete(check);
          resolve(mail);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  if (options.autoClose !== false) onTestFinished(() => smtp.close());
  return smtp;
}

/** The notice of a sign-in from a browser new to the account (app/activity/sign-in.ts). */
export const NEW_DEVICE_SUBJECT = "New sign-in to your account";

/** The one link in a mail's text part whose path starts with `pathPrefix`. */
export function linkIn(mail: { text: string }, pathPrefix: string): string {
  const links = [...mail.text.matchAll(/https?:\/\/[^\s<>"]+/g)]
    .map((match) => match[0])
    .filter((link) => new URL(link).pathname.startsWith(pathPrefix));
  if (links.length !== 1) {
    throw new Error(
      `expected one ${pathPrefix} link in the mail, found ${links.length}:\n${mail.text}`,
    );
  }
  return links[0] as string;
}

/** The path (and query) of a link, to request from the test app's client. */
export const pathOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};
