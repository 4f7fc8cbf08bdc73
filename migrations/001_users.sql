-- Up Migration
-- Case-insensitive text, so "Ann@Example.com" and "ann@example.com" are one account.
create extension if not exists citext;

create table users (
  id bigint generated always as identity primary key,
  email citext not null unique check (length(email) <= 254),
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Down Migration
-- citext stays: other schemas in the database may use it, and it is harmless.
drop table users;
