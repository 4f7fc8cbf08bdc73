-- Up Migration
-- A login beyond SESSION_MAX_PER_USER ends the user's least recently used sessions; the trail
-- says so (app/activity/describe.ts).
alter table security_events drop constraint security_events_kind_check;
alter table security_events add constraint security_events_kind_check check (kind in (
  'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
  'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
  'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
  'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked',
  'unproven_access_removed', 'sessions_over_limit_ended'
));

-- "Your sessions" lists a user's most recently used sessions first, a page at a time, and a login
-- beyond the limit ends the least recently used: both read this index in order (the expression is
-- RECENCY_SQL in app/account/sessions.ts; the planner matches it exactly). It also serves every
-- lookup by user that IDX_session_user did.
create index "IDX_session_user_seen" on session (
  (sess -> 'passport' ->> 'user'),
  (expire - (case
    when json_typeof(sess -> 'cookie' -> 'originalMaxAge') = 'number'
      then least(greatest((sess -> 'cookie' ->> 'originalMaxAge')::numeric, 0), 3e12)::float8
    else 0 end) * interval '1 millisecond')
);
drop index "IDX_session_user";

-- The maintenance runner deletes expired login-attempt counters in batches, by expiry
-- (app/maintenance/tasks.ts): without this, each batch was a sequential scan of the table.
create index "IDX_rate_limits_expire" on rate_limits (expire);

-- Down Migration
drop index "IDX_rate_limits_expire";
create index "IDX_session_user" on session ((sess -> 'passport' ->> 'user'));
drop index "IDX_session_user_seen";
delete from security_events where kind = 'sessions_over_limit_ended';
alter table security_events drop constraint security_events_kind_check;
alter table security_events add constraint security_events_kind_check check (kind in (
  'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
  'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
  'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
  'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked',
  'unproven_access_removed'
));
