import { HttpClient, type Reply } from "./http-client.js";

/** The reply and how long it took, in ms. */
export async function timed(request: () => Promise<Reply>): Promise<Reply & { ms: number }> {
  const started = performance.now();
  const reply = await request();
  return { ...reply, ms: performance.now() - started };
}

/**
 * Until `done()` (at most 500 rounds each): every logged-in browser reads /account and, when that
 * works, saves its session; a visitor reads `/`. Returns every status seen.
 */
export async function traffic(
  url: string,
  browsers: Iterable<HttpClient>,
  done: () => boolean,
): Promise<number[]> {
  const statuses: number[] = [];
  const visitor = new HttpClient(url);
  await Promise.all([
    ...[...browsers].map(async (browser) => {
      for (let i = 0; i < 500 && !done(); i++) {
        const page = await browser.get("/account");
        statuses.push(page.status);
        if (page.status === 200) {
          statuses.push((await browser.post("/account/session/save")).status);
        }
      }
    }),
    (async () => {
      for (let i = 0; i < 500 && !done(); i++) statuses.push((await visitor.get("/")).status);
    })(),
  ]);
  return statuses;
}
