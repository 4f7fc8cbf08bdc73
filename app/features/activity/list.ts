import type pg from "pg";

/** One stored event, as the security page lists it. */
export interface StoredEvent {
  kind: string;
  method: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

/** How many events the security page shows. */
export const RECENT_EVENTS = 50;

/** The user's most recent events, newest first. */
export async function listEvents(
  pool: pg.Pool,
  userId: string,
  limit = RECENT_EVENTS,
): Promise<StoredEvent[]> {
  const { rows } = await pool.query<StoredEvent>(
    `select kind, method, ip, user_agent as "userAgent", created_at as "createdAt"
       from security_events where user_id = $1
      order by created_at desc, id desc limit $2`,
    [userId, limit],
  );
  return rows;
}
