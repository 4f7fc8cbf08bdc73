// connect-pg-simple's DefinitelyTyped types are bound to express-session's, whose global
// `Express.Request.session` clashes with app/session's. These describe the same runtime API
// against whatever session module is passed in.
declare module "connect-pg-simple" {
  import type { Pool } from "pg";

  function connectPgSimple<S extends { Store: connectPgSimple.StoreClass }>(
    session: S,
  ): new (
    options?: connectPgSimple.PGStoreOptions,
  ) => InstanceType<S["Store"]> & connectPgSimple.PGStoreMethods;

  namespace connectPgSimple {
    type StoreClass = abstract new (...args: never[]) => object;

    interface PGStoreOptions {
      pool?: Pool;
      conString?: string;
      schemaName?: string;
      tableName?: string;
      createTableIfMissing?: boolean;
      /** Seconds between prunes of expired rows; false: never. */
      pruneSessionInterval?: false | number;
      /** Seconds a session lives when its cookie has no expiry. */
      ttl?: number;
      disableTouch?: boolean;
      errorLog?: (...args: unknown[]) => void;
    }

    interface PGStoreMethods {
      /** Stops the prune timer (and ends the Pool only if the store created it). */
      close(): Promise<void>;
      pruneSessions(callback?: (err?: Error) => void): void;
      /** The schema-qualified, quoted table name, for queries of one's own. */
      quotedTable(): string;
      /** A query on the store's pool; the callback gets the error, if any. */
      query(sql: string, params: unknown[], callback: (err?: Error) => void): void;
    }
  }

  export = connectPgSimple;
}
