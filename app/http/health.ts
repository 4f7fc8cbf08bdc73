import { Router } from "express";
import type pg from "pg";

const READY_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is alive (restart it if not). `/readyz`: it can serve, i.e. the
 * database answers (send it traffic if so). A probe must answer fast even when the database
 * hangs, hence the timeout on top of the Pool's own.
 */
export function healthRoutes(pool: pg.Pool): Router {
  const router = Router();

  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/readyz", async (req, res) => {
    try {
      await withTimeout(pool.query("select 1"), READY_TIMEOUT_MS);
      res.json({ status: "ok", database: "ok" });
    } catch (error) {
      req.log?.warn({ err: error }, "readiness check failed");
      res.status(503).json({ status: "unavailable", database: "unreachable" });
    }
  });

  return router;
}
