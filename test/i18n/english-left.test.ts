import { expect, test } from "vitest";
import {
  englishLeftIn,
  englishOfSection,
  englishOfSectionIn,
  hasChinese,
  keysOfSectionIn,
  untranslatedOfSectionIn,
  visibleText,
} from "../helpers/english-left.js";

/** The helper the Chinese page tests rely on: it must catch English, and only English. */

const page = (body: string, lang = "zh-CN") =>
  `<!doctype html><html lang="${lang}"><head><title>登录 · Session starter</title>
  <meta name="description" content="A description nobody sees on the page">
  <style>body { font-family: sans-serif }</style></head><body>${body}
  <footer><p>Express 5 · Passport · 自研会话中间件 · Postgres</p></footer>
  <script>console.log("some script text here")</script></body></html>`;

test("a Chinese page passes: the app's name, tech names, addresses, code samples and URLs are not English left", () => {
  const html = page(`<h1>登录</h1>
    <p>已登录为 ann@example.com，<a href="/account/sessions">查看会话</a>。</p>
    <p>未设置 <code>SMTP_URL</code> 时，邮件保存在内存中：<code>saveUninitialized: false</code>。</p>
    <p>密钥：<span data-totp-secret="ABCDEFGH">ABCD EFGH IJKL MNOP</span></p>
    <input type="hidden" name="_csrf" value="a hidden token value">
    <button type="submit" name="locale" value="en" lang="en">English</button>
    <input type="submit" value="登录">`);
  const text = visibleText(html);
  expect(text).toContain("登录");
  expect(text).not.toContain("some script text");
  expect(text).not.toContain("saveUninitialized");
  expect(englishLeftIn(text)).toEqual([]);
  expect(hasChinese(text)).toBe(true);
});

test("a sentence of the English catalogue is found, placeholders as wildcards, and named by its key", () => {
  expect(englishLeftIn("登录 Skip to content 账户")).toEqual([
    '"Skip to content" (en: layout.skip)',
  ]);
  expect(englishLeftIn("太多 Too many login attempts. Try again in 12 minutes. 好")).toEqual([
    '"Too many login attempts. Try again in 12 minutes." (en: tooMany.loginAttempts_other)',
  ]);
  // A two-word string of the catalogue ("Log out") is found too.
  expect(englishLeftIn("账户 Log out")).toEqual(['"Log out" (en: layout.logOut)']);
});

test("hard-coded English that is in no catalogue is found as a run of three words", () => {
  expect(englishLeftIn("欢迎 Your session has ended here。")).toEqual([
    '"Your session has ended here"',
  ]);
  // Two words are not enough, and neither are acronyms or a base32 secret.
  expect(englishLeftIn("使用 Session starter 和 TOTP ABCD EFGH IJKL")).toEqual([]);
});

test("a message printed untranslated, as an object, is found", () => {
  expect(englishLeftIn("登录失败：[object Object]")).toEqual(['"[object Object]"']);
});

test("English in the attributes a person hears or sees is found", () => {
  const text = visibleText(
    page(`<h1>登录</h1><nav aria-label="Main navigation of site"></nav>
      <input placeholder="you at example dot com"><img alt="A picture of keys">
      <input type="submit" value="Send the link now"><a title="Open the development outbox">发件箱</a>`),
  );
  expect(englishLeftIn(text)).toEqual([
    '"Open the development outbox" (en: layout.devOutbox)',
    '"Main navigation of site"',
    '"you at example dot com"',
    '"picture of keys"',
    '"Send the link now"',
  ]);
});

test("entities are decoded before looking", () => {
  expect(visibleText("<body><p>Your browser&#39;s language &amp; more</p></body>")).toBe(
    "Your browser's language & more",
  );
  expect(englishLeftIn(visibleText("<body><p>Your browser&#39;s language</p></body>"))).toEqual([
    '"Your browser\'s language" (en: language.browser)',
  ]);
});

test("one section's English and keys: what a feature's own tests look for", () => {
  // The pieces between placeholders, long enough to be a sentence; not a lone word.
  const layout = englishOfSection("layout");
  expect(layout).toContain("Skip to content");
  expect(layout).toContain(": sign in, manage your sessions, password, two-factor and passkeys.");
  expect(layout).not.toContain("Account");
  expect(englishOfSection("no-such-section")).toEqual([]);
  // Found in HTML, entities decoded; a sentence of another section is not this one's.
  expect(
    englishOfSectionIn("layout", '<a href="#main">Skip&#32;to content</a> Too many login attempts'),
  ).toEqual(["Skip to content"]);
  expect(englishOfSectionIn("layout", "<p>跳到内容</p>")).toEqual([]);
  // A key of the section, or anything shaped like one, shows in place of its text.
  expect(keysOfSectionIn("layout", "<p>layout.skip</p> <p>layout.gone.missing</p>")).toEqual([
    "layout.skip",
    "layout.gone.missing",
  ]);
  expect(keysOfSectionIn("layout", '<script src="/layout.js"></script>')).toEqual([]);
  expect(untranslatedOfSectionIn("layout", "Log in · Skip to content · layout.logOut")).toEqual([
    '"Skip to content"',
    "key layout.logOut",
  ]);
});
