import type { Server } from "node:http";

/** How often shutdown closes keep-alive connections that went idle since the last look. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops accepting connections and waits for in-flight requests, at most `graceMs`; then
 * drops whatever is still open. `server.close()` closes the connections idle at that moment,
 * but one that goes idle afterwards (its request just finished) would be kept alive until
 * the keep-alive timeout, so they are swept while waiting.
 */
export function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((error) => {
      clearInterval(sweep);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    });
  });
}
