-- Up Migration
-- The language a user chose on the Account page (app/i18n): a catalogue's tag such as `zh-CN`;
-- null follows the `lang` cookie, then the browser's Accept-Language. Mails to the user use it.
alter table users add column locale text check (locale is null or length(locale) between 2 and 35);

-- Down Migration
alter table users drop column locale;
