import { once } from "node:events";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "vitest";
import { closeHttpServer } from "../../app/http/close-server.js";

/** A server whose every response takes `delayMs` (forever when null). */
async function slowServer(delayMs: number | null) {
  const server = createServer((_req, res) => {
    if (delayMs !== null) setTimeout(() => res.end("done"), delayMs);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A GET that reports how it ended: its body, or the error. By default on a connection of its
 * own that the client closes; with a keep-alive agent, as browsers do.
 */
function get(
  port: number,
  agent: Agent | false = false,
): Promise<{ body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ body }));
      res.on("error", (error) => resolve({ error: error.message }));
    });
    req.on("error", (error) => resolve({ error: error.message }));
    req.end();
  });
}

const requestArrived = (server: ReturnType<typeof createServer>) => once(server, "request");

test("a request in flight when shutdown starts still gets its answer", async () => {
  const { server, port } = await slowServer(300);
  const inFlight = get(port, new Agent({ keepAlive: true }));
  await requestArrived(server);

  const started = Date.now();
  await closeHttpServer(server, 5_000);
  expect(await inFlight).toEqual({ body: "done" });
  // Its keep-alive connection is closed once it went idle, not kept open until its timeout.
  expect(Date.now() - started).toBeLessThan(1_000);
  // And nothing new is accepted.
  expect((await get(port)).error).toMatch(/ECONNREFUSED/);
});

test("a request that never finishes is cut off after the grace period", async () => {
  const { server, port } = await slowServer(null);
  const stuck = get(port);
  await requestArrived(server);

  const started = Date.now();
  await closeHttpServer(server, 200);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  expect(Date.now() - started).toBeLessThan(2_000);
  expect((await stuck).error).toMatch(/socket hang up|ECONNRESET/);
});

test("idle keep-alive connections do not hold shutdown up", async () => {
  const { server, port } = await slowServer(0);
  const agentRequest = await fetch(`http://127.0.0.1:${port}/`); // fetch keeps the connection alive
  await agentRequest.text();

  const started = Date.now();
  await closeHttpServer(server, 5_000);
  expect(Date.now() - started).toBeLessThan(1_000);
});
