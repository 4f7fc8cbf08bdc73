-- Up Migration
-- Passkeys (WebAuthn credentials). The account's user handle is random, not its ID or email:
-- the authenticator stores it and hands it back at sign-in.
alter table users add column webauthn_user_id text unique;

create table passkeys (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete cascade,
  -- base64url, as the browser reports it.
  credential_id text not null unique check (length(credential_id) <= 1366),
  public_key bytea not null,
  -- The authenticator's signature counter (0 forever for most synced passkeys).
  counter bigint not null default 0 check (counter >= 0),
  transports text[] not null default '{}',
  -- Backup eligibility is fixed at registration; the backup state may change.
  device_type text not null check (device_type in ('singleDevice', 'multiDevice')),
  backed_up boolean not null,
  name text not null check (length(name) between 1 and 64),
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);

create index "IDX_passkeys_user" on passkeys (user_id);

-- Down Migration
-- Accounts that sign in only with a passkey cannot survive the way back.
delete from users u where password_hash is null
  and not exists (select 1 from user_identities i where i.user_id = u.id);
drop table passkeys;
alter table users drop column webauthn_user_id;
