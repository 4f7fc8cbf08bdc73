-- Up Migration
-- One TOTP authenticator per user, once confirmed with a code. The secret is sealed with
-- DATA_ENCRYPTION_KEY (app/security/secrets-at-rest.ts); last_step is the last accepted time
-- step (Unix time / 30 s), so a code is refused at or before it (replay).
create table two_factor (
  user_id bigint primary key references users (id) on delete cascade,
  secret text not null,
  last_step bigint not null,
  enabled_at timestamptz not null default now()
);

-- Ten one-time recovery codes per user, only their SHA-256 kept; a use deletes the row.
create table recovery_codes (
  user_id bigint not null references users (id) on delete cascade,
  code_hash char(64) not null,
  primary key (user_id, code_hash)
);

-- Down Migration
drop table recovery_codes;
drop table two_factor;
