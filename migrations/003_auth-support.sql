-- Up Migration
-- "Your sessions" lists a user's sessions by the user ID Passport keeps in the session.
create index "IDX_session_user" on session ((sess -> 'passport' ->> 'user'));

-- Login attempt counters, shared by every app instance (rate-limiter-flexible's Postgres shape).
create table rate_limits (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);

-- Down Migration
drop table rate_limits;
drop index "IDX_session_user";
