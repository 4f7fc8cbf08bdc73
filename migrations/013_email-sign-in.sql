-- Up Migration
-- Signing in by email (the email-sign-in feature): a link and a 6-digit code in one mail, one
-- row of user_tokens for both (purpose 'sign_in'). The row keeps the address it was sent to;
-- with EMAIL_SIGN_IN_CREATES_ACCOUNTS=true, an address with no account yet has a row with no
-- user (the link makes the account). The code is kept only as its SHA-256, as the link is.
alter table user_tokens drop constraint user_tokens_purpose_check;
alter table user_tokens add constraint user_tokens_purpose_check
  check (purpose in ('reset', 'verify', 'change_email', 'sign_in'));
alter table user_tokens alter column user_id drop not null;
alter table user_tokens add constraint user_tokens_owner_check
  check (user_id is not null or (purpose = 'sign_in' and email is not null));
alter table user_tokens add column code_hash text;
-- A code is looked up by the address it was sent to; a newer mail replaces the older one.
create index "IDX_user_tokens_sign_in_email" on user_tokens (email) where purpose = 'sign_in';

-- The trail says how: an email link or an email code (and a second factor after it).
alter table security_events drop constraint security_events_method_check;
alter table security_events add constraint security_events_method_check check (method in (
  'password', 'password+2fa', 'passkey', 'oidc', 'oidc+2fa',
  'email_link', 'email_link+2fa', 'email_code', 'email_code+2fa'
));

-- Down Migration
delete from security_events where method in ('email_link', 'email_link+2fa', 'email_code', 'email_code+2fa');
alter table security_events drop constraint security_events_method_check;
alter table security_events add constraint security_events_method_check
  check (method in ('password', 'password+2fa', 'passkey', 'oidc', 'oidc+2fa'));
delete from user_tokens where purpose = 'sign_in';
drop index "IDX_user_tokens_sign_in_email";
alter table user_tokens drop column code_hash;
alter table user_tokens drop constraint user_tokens_owner_check;
alter table user_tokens alter column user_id set not null;
alter table user_tokens drop constraint user_tokens_purpose_check;
alter table user_tokens add constraint user_tokens_purpose_check
  check (purpose in ('reset', 'verify', 'change_email'));
