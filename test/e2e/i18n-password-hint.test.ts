import { expect, test } from "vitest";
import { textOf, useBrowser } from "../helpers/e2e.js";

/**
 * Issue 30: the new-password hint (public/password-hint.js) speaks the page's language. Its
 * sentences come from the server on the input (data-strength, views/partials/field.eta); a
 * browser that asks for Simplified Chinese reads them in Chinese, one asking for English in
 * English, as before.
 */

const e2e = useBrowser();

test("the sign-up form's password hint, in Chinese and in English", async () => {
  const app = await e2e.startApp();

  const { page: zh } = await e2e.newPage(app, { locale: "zh-CN" });
  await zh.goto("/register");
  const zhPassword = zh.locator("#password");
  await zhPassword.pressSequentially("short");
  expect(await textOf(zh.locator("#password-strength"))).toBe("还需要 7 个字符（至少 12 个）。");
  await zhPassword.pressSequentially("er pas");
  expect(await textOf(zh.locator("#password-strength"))).toBe("还需要 1 个字符（至少 12 个）。");
  await zhPassword.fill("");
  await zhPassword.pressSequentially("111111111111");
  expect(await textOf(zh.locator("#password-strength"))).toBe(
    "太容易被猜到：试试几个互不相关的词。",
  );
  await zhPassword.fill("");
  await zhPassword.pressSequentially("a long enough phrase");
  expect(await textOf(zh.locator("#password-strength"))).toBe(
    "长度足够。提交时，我们还会检查它是否为常见或容易被猜到的密码。",
  );

  const { page: en } = await e2e.newPage(app, { locale: "en-US" });
  await en.goto("/register");
  await en.locator("#password").pressSequentially("short");
  expect(await textOf(en.locator("#password-strength"))).toBe(
    "7 more characters needed (at least 12).",
  );
  await en.locator("#password").pressSequentially("er pas");
  expect(await textOf(en.locator("#password-strength"))).toBe(
    "1 more character needed (at least 12).",
  );
});
