import type { RenderedMail } from "./message.js";

export interface OutboxMail extends RenderedMail {
  id: number;
  to: string;
  from: string;
  date: Date;
}

/** At most this many mails are kept: the oldest are dropped. */
const OUTBOX_SIZE = 100;

/**
 * The development transport: mails kept in memory (lost on restart), read at GET /dev/mail.
 * Never used in production, where SMTP_URL is required.
 */
export class DevOutbox {
  readonly #mails: OutboxMail[] = [];
  #nextId = 1;

  add(mail: Omit<OutboxMail, "id" | "date">): OutboxMail {
    const stored = { ...mail, id: this.#nextId++, date: new Date() };
    this.#mails.unshift(stored);
    this.#mails.length = Math.min(this.#mails.length, OUTBOX_SIZE);
    return stored;
  }

  /** Newest first. */
  list(): readonly OutboxMail[] {
    return this.#mails;
  }

  get(id: number): OutboxMail | undefined {
    return this.#mails.find((mail) => mail.id === id);
  }
}
