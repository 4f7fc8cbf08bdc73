-- Up Migration
-- Sign-in with an OpenID Connect provider: an identity is the provider's (issuer, subject) pair,
-- linked to one account. An account made by a first provider sign-in has no password.
create table user_identities (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete cascade,
  issuer text not null,
  subject text not null,
  -- What the provider said when the identity was linked (shown on the account page).
  email text,
  created_at timestamptz not null default now(),
  unique (issuer, subject)
);

create index "IDX_user_identities_user" on user_identities (user_id);

alter table users alter column password_hash drop not null;

-- Down Migration
-- Accounts without a password cannot survive the way back: they are removed with their identity.
delete from users where password_hash is null;
alter table users alter column password_hash set not null;
drop table user_identities;
