-- Up Migration
-- The admin area (app/features/admin/): every user has a role, `user` or `admin` (granted only by
-- `npm run users -- promote <email>`, never from the web); a locked account's sign-ins are refused
-- until it is unlocked. The columns stay when the feature is removed (a user's role and lock are
-- data, and cost nothing without it).
alter table users add column role text not null default 'user' check (role in ('user', 'admin'));
alter table users add column locked_at timestamptz;
-- Shown on /admin: set by every sign-in (the one pipeline's hook).
alter table users add column last_sign_in_at timestamptz;

-- /admin lists users newest first and searches them by address prefix, case-insensitively, a page
-- at a time (keyset: id < the last one shown): this index answers a prefix from the first page
-- (app/features/admin/users.ts, bench/admin-search.ts).
create index "IDX_users_email_prefix" on users (lower(email::text) text_pattern_ops, id);

-- Every action an administrator takes, for /admin/audit. The affected account may be deleted
-- later: its ID and address are kept as they were; the administrator's too.
create table admin_audit (
  id bigint generated always as identity primary key,
  actor_id bigint,
  actor_email text not null,
  target_id bigint,
  target_email text,
  action text not null check (length(action) <= 64),
  ip text,
  created_at timestamptz not null default now()
);
create index "IDX_admin_audit_time" on admin_audit (created_at desc, id desc);

-- What an administrator did to an account is in that account's own trail too.
alter table security_events drop constraint security_events_kind_check;
alter table security_events add constraint security_events_kind_check check (kind in (
  'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
  'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
  'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
  'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked',
  'unproven_access_removed', 'sessions_over_limit_ended',
  'admin_locked', 'admin_unlocked', 'admin_signed_out', 'admin_session_revoked',
  'admin_two_factor_disabled', 'admin_verification_sent', 'admin_impersonated'
));

-- Down Migration
delete from security_events where kind like 'admin\_%';
alter table security_events drop constraint security_events_kind_check;
alter table security_events add constraint security_events_kind_check check (kind in (
  'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
  'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
  'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
  'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked',
  'unproven_access_removed', 'sessions_over_limit_ended'
));
drop table admin_audit;
drop index "IDX_users_email_prefix";
alter table users drop column last_sign_in_at;
alter table users drop column locked_at;
alter table users drop column role;
