import type pg from "pg";

/**
 * Records the SQL every `pool.query` sends (the app's queries, and the session store's: both go
 * through the app's one Pool), so a test can count a page's statements on the real database.
 */
export interface StatementLog {
  /** The statements sent so far, whitespace folded. */
  all(): string[];
  /** The statements sent while `work` ran. */
  during(work: () => Promise<unknown>): Promise<string[]>;
  stop(): void;
}

export function recordStatements(pool: pg.Pool): StatementLog {
  const sent: string[] = [];
  const query = pool.query;
  pool.query = function (this: pg.Pool, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === "string" ? first : (first as { text?: string })?.text;
    sent.push(String(text).replace(/\s+/g, " ").trim());
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pool.query;
  return {
    all: () => [...sent],
    async during(work) {
      const from = sent.length;
      await work();
      return sent.slice(from);
    },
    stop() {
      pool.query = query;
    },
  };
}
