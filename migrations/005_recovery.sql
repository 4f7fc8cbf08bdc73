-- Up Migration
-- When the user proved they read mail at their address (a verification or change-of-address
-- link, or a password reset); null: not yet.
alter table users add column email_verified_at timestamptz;

-- One-time links sent by mail (password reset, address verification, change of address). Only
-- the SHA-256 of a token is kept: a leaked dump opens nothing. A row is used up by deleting it
-- (DELETE ... RETURNING), so two clicks at once cannot both win.
create table user_tokens (
  token_hash text primary key,
  user_id bigint not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('reset', 'verify', 'change_email')),
  -- change_email: the new address, which becomes the account's only when the link is opened.
  email citext check (length(email) <= 254),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

-- A newer token replaces the older ones of its purpose; a password change deletes them all.
create index "IDX_user_tokens_user" on user_tokens (user_id, purpose);
-- Pruning deletes by expiry.
create index "IDX_user_tokens_expires" on user_tokens (expires_at);

-- Down Migration
drop table user_tokens;
alter table users drop column email_verified_at;
