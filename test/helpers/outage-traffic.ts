import { HttpClient, type Reply } from "./http-client.js";

/** The reply and how long it took, in ms. */
export async function timed(request: () => Promise<Reply>): Promise<Reply & { ms: number }> {
  const started = performance.now();
  const reply = await request();
  return { ...reply, ms: performance.now() - started };
}

export interface Traffic {
  /** Every status seen so far, in order of arrival. */
  statuses: number[];
  /** Every status seen, once the traffic has stopped. */
  finished: Promise<number[]>;
}

/**
 * Until `done()` (at most 500 rounds each): every logged-in browser reads /account and, when that
 * works, writes its session; a visitor reads `/`. Tests wait on what `statuses` shows, not on time.
 *
 * The write is the app's own "end a session" form with a key that names no session: it ends
 * nothing and leaves a one-time message (303 to /account), so the session is written. An app
 * route, not a test's: the traffic also runs against app/server.ts in a process of its own.
 */
export function traffic(url: string, browsers: Iterable<HttpClient>, done: () => boolean): Traffic {
  const statuses: number[] = [];
  const visitor = new HttpClient(url);
  const finished = Promise.all([
    ...[...browsers].map(async (browser) => {
      for (let i = 0; i < 500 && !done(); i++) {
        const page = await browser.get("/account");
        statuses.push(page.status);
        if (page.status === 200) {
          statuses.push((await browser.post("/account/sessions/revoke", { key: "none" })).status);
        }
      }
    }),
    (async () => {
      for (let i = 0; i < 500 && !done(); i++) statuses.push((await visitor.get("/")).status);
    })(),
  ]).then(() => statuses);
  return { statuses, finished };
}

/** Resolves once `condition()` holds (checked every 10 ms); fails after 30 s, naming `what`. */
export async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
