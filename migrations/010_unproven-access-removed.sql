-- Up Migration
-- A new kind of security event: proving an address that nobody had proven removed the ways in
-- added until then (passkeys, linked providers, two-factor) and ended every session.
alter table security_events drop constraint security_events_kind_check;
alter table security_events add constraint security_events_kind_check check (kind in (
  'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
  'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
  'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
  'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked',
  'unproven_access_removed'
));

-- Down Migration
delete from security_events where kind = 'unproven_access_removed';
alter table security_events drop constraint security_events_kind_check;
alter table security_events add constraint security_events_kind_check check (kind in (
  'sign_in', 'sign_in_failed', 'sign_out', 'session_revoked', 'other_sessions_revoked',
  'password_changed', 'password_reset', 'email_change_requested', 'email_changed',
  'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'recovery_code_used',
  'passkey_added', 'passkey_removed', 'identity_linked', 'identity_unlinked'
));
