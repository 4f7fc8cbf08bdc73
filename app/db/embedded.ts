import { PGlite } from "@electric-sql/pglite";
import { citext } from "@electric-sql/pglite/contrib/citext";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { lockDataDir } from "./data-dir-lock.js";

export interface EmbeddedPostgres {
  /** A postgres:// URL for `pg` (the socket server on 127.0.0.1, random port). */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** A folder to keep the data in; in memory when absent. Locked against a second process. */
  dataDir?: string;
}

// PGlite is one backend behind a socket: several pg connections would share it and cross-wire
// transactions, so callers must use a Pool of max 1 (see app/db/pool.ts).
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  try {
    const db = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      extensions: { citext },
    });
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 3 });
    await server.start().catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    return {
      url: `postgres://postgres@${server.getServerConn()}/postgres`,
      async stop() {
        try {
          await server.stop();
          await db.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
