import type { Message } from "../i18n/index.js";

/** What this app keeps in a session, typed through the middleware's SessionData. */
declare module "../session/types.js" {
  interface SessionData {
    /** Passport's record of who is logged in. */
    passport: { user?: string };
    /** A one-time message for the next page. */
    flash: Flash;
    /** The user's session generation when this session logged in (see session-generation.ts). */
    generation: number;
    /** When the user last proved who they are (login, /account/confirm): sudo mode, sudo.ts. */
    authenticatedAt: number;
    /** Shown in "your sessions". */
    client: { userAgent: string; ip: string; loggedInAt: number };
  }
}

export interface Flash {
  kind: "info" | "error";
  /** What it says, read in the language of the page that shows it. */
  text: Message;
  /** It says a mail was sent: in development the page links to the outbox. */
  mailSent?: boolean;
}

declare global {
  namespace Express {
    interface User {
      id: string;
      email: string;
      sessionGeneration: number;
      emailVerifiedAt: Date | null;
      /** The language they chose; null: the cookie's or the browser's (app/i18n). */
      locale: string | null;
    }
  }
}
