import type pg from "pg";

/**
 * Inserts `count` live "remember me" sessions of one user straight into the store (as a user who
 * logged in from `count` browsers would have), the i-th last seen i minutes ago; its store key
 * is SHA-256 of `seeded-<userId>-<i>` (hex). One statement, however many.
 */
export async function addSessions(pool: pg.Pool, userId: string, count: number): Promise<void> {
  await pool.query(
    `insert into session (sid, sess, expire)
     select encode(sha256(convert_to('seeded-' || $1 || '-' || i, 'UTF8')), 'hex'),
            json_build_object(
              'cookie', json_build_object('originalMaxAge', 2592000000, 'httpOnly', true, 'path', '/'),
              'passport', json_build_object('user', $1::text),
              'generation', 0,
              'client', json_build_object(
                'userAgent', 'Seeded browser ' || i,
                'ip', '192.0.2.' || (i % 250),
                'loggedInAt', (extract(epoch from now()) * 1000)::bigint - i::bigint * 3600000)),
            now() + interval '30 days' - i * interval '1 minute'
       from generate_series(1, $2::int) i`,
    [userId, count],
  );
}
