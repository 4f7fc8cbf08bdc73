import { expect, test } from "vitest";
import { translator } from "../../../app/i18n/index.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, submitLogin } from "../../helpers/auth.js";
import { hasChinese, untranslatedOfSectionIn } from "../../helpers/english-left.js";
import { jsonOf } from "../../helpers/http-client.js";
import { shownRecoveryCodes, shownSecret, testClock, totpCode } from "../../helpers/totp.js";

/**
 * Two-factor in Simplified Chinese: its pages for a browser that asks for zh-CN. Nothing of the
 * section's English is left on them, and no catalogue key shows instead of its text.
 */
const ZH = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };

function expectChinese(text: string, where: string) {
  expect(untranslatedOfSectionIn("two-factor", text), where).toEqual([]);
  expect(hasChinese(text), where).toBe(true);
}

/** One section of the security page, by its heading's id. */
function sectionOf(body: string, titleId: string): string {
  const start = body.indexOf(`aria-labelledby="${titleId}"`);
  expect(start, titleId).toBeGreaterThan(-1);
  return body.slice(start, body.indexOf("</section>", start));
}

test("what the first proof of an address says it removed, in Chinese", () => {
  expect(translator("zh-CN")("two-factor.removed")).toBe("两步验证（包括其密钥和恢复码）");
});

test("two-factor in Chinese: the setup page, its wrong code, the recovery codes, the security section, the login step and its wrong codes", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client } = await loggedInClient(app, "mei@example.com", { headers: ZH });

  const setup = await client.get("/account/two-factor/setup");
  expect(setup.status).toBe(200);
  expect(setup.body).toContain("<h1>设置两步验证</h1>");
  expect(setup.body).toContain("或者在应用中手动输入此密钥：");
  expect(setup.body).toContain('data-copied="已复制。"');
  expectChinese(setup.body, "setup page");
  const secret = shownSecret(setup.body);

  const wrong = await client.post("/account/two-factor/setup", { code: "000000" });
  expect(wrong.status).toBe(400);
  expect(wrong.body).toContain("验证码不正确。请输入应用当前显示的 6 位数字。");
  expectChinese(wrong.body, "setup page, wrong code");

  const codes = await client.post("/account/two-factor/setup", {
    code: totpCode(secret, clock.now()),
  });
  expect(codes.status).toBe(200);
  expect(shownRecoveryCodes(codes.body)).toHaveLength(10);
  expect(codes.body).toContain("两步验证已开启。");
  expect(codes.body).toContain('data-downloaded="已下载。"');
  expectChinese(codes.body, "recovery codes page");

  const security = await client.get("/account/security");
  const section = sectionOf(security.body, "two-factor-title");
  expect(section).toContain("还剩 10 个恢复码。");
  expectChinese(section, "security page, two-factor section");

  // The login step, in a new browser that asks for Chinese.
  clock.advance(30_000);
  const browser = app.client(ZH);
  const password = await submitLogin(browser, "mei@example.com");
  expect(password.location).toBe("/login/two-factor");
  const step = await browser.get("/login/two-factor");
  expect(step.status).toBe(200);
  expect(step.body).toContain("<h1>两步验证</h1>");
  expect(step.body).toContain("<title>两步验证");
  expectChinese(step.body, "login step");

  const refused = await browser.post("/login/two-factor", { code: "000000" });
  expect(refused.status).toBe(401);
  expect(refused.body).toContain("验证码不正确。请输入当前显示的验证码。");
  expectChinese(refused.body, "login step, wrong code");

  const badRecovery = await browser.post("/login/two-factor", {
    recovery_code: "AAAA-BBBB-CCCC-DDDD",
  });
  expect(badRecovery.status).toBe(401);
  expect(badRecovery.body).toContain("恢复码不正确，或已被使用过。");

  // A script is answered in Chinese too.
  const json = await browser.postJson("/login/two-factor", { code: "000000" });
  expect(json.status).toBe(401);
  expect(jsonOf<{ errors: Record<string, string> }>(json).errors.code).toBe(
    "验证码不正确。请输入当前显示的验证码。",
  );
});
