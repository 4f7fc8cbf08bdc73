-- Up Migration
-- What happened to an account, for its owner to see (the security page): when, from where, on
-- which browser. Never a secret, token or session ID. Pruned after ACTIVITY_RETENTION_DAYS.
create table security_events (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete cascade,
  kind text not null check (kind in (
    'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
    'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
    'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
    'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked'
  )),
  -- How a sign-in was made: password, passkey, oidc; "+2fa" when a second factor was asked.
  method text check (method in ('password', 'password+2fa', 'passkey', 'oidc', 'oidc+2fa')),
  ip text,
  user_agent text,
  created_at timestamptz not null default now()
);

create index "IDX_security_events_user_time" on security_events (user_id, created_at desc);
create index "IDX_security_events_time" on security_events (created_at);

-- Down Migration
drop table security_events;
