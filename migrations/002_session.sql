-- Up Migration
-- The shape connect-pg-simple expects (its table.sql), which it queries by these names.
create table session (
  sid varchar not null collate "default" primary key,
  sess json not null,
  expire timestamp(6) not null
);

-- Pruning deletes by expiry.
create index "IDX_session_expire" on session (expire);

-- Down Migration
drop table session;
