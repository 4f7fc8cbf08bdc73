/** The load generator: autocannon, run in the orchestrator's process (pinned to its own core). */
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  /** One Cookie header per connection (connection i sends cookies[i % length]); empty: none. */
  cookies: readonly string[];
  connections: number;
  /** Seconds. */
  duration: number;
  /** Every response's latency (ms) is appended here, so several runs can share one percentile. */
  latencies?: number[];
}

export interface LoadResult {
  /** Completed responses. */
  total: number;
  /** Seconds the run took, as autocannon measured it. */
  seconds: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { url, cookies, connections, duration, latencies } = options;
  let nextClient = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration,
        pipelining: 1,
        timeout: 10,
        // Called once per connection as autocannon creates it: each gets its own session.
        setupClient(client) {
          const cookie = cookies[nextClient++ % Math.max(cookies.length, 1)];
          if (cookie !== undefined) client.setHeaders({ cookie });
          if (latencies) client.on("response", (_status, _bytes, ms) => latencies.push(ms));
        },
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({
          total: result.requests.total,
          seconds: result.duration > 0 ? result.duration : duration,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
  });
}

/** The p-th percentile (0..100) of `values`, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
