-- Up Migration
-- Every session of a user carries the generation it was logged in under; bumping it (password
-- change or reset, "log out everywhere else") ends every older session at its next request,
-- even one an in-flight request saved after its row was deleted.
alter table users add column session_generation integer not null default 0;

-- Down Migration
alter table users drop column session_generation;
