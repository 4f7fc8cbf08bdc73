-- Up Migration
-- Several sign-in providers: the one an identity came through (its key: github, google,
-- microsoft, apple, oidc, or a generic provider's <id>), and a name to show beside it (a GitHub
-- login, the name Apple sends once). Identities linked before came through the one provider
-- there was, OIDC_*: "oidc".
alter table user_identities add column provider text;
alter table user_identities add column display_name text;
update user_identities set provider = 'oidc';
alter table user_identities alter column provider set not null;

-- Down Migration
alter table user_identities drop column display_name;
alter table user_identities drop column provider;
