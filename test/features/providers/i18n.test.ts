import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient } from "../../helpers/auth.js";
import { untranslatedOfSectionIn } from "../../helpers/english-left.js";

/**
 * Issue 30, providers in Simplified Chinese: the sign-in buttons, Connected accounts and the
 * callback's errors, with no English sentence of the providers section left on them.
 */
const ZH = { "accept-language": "zh-CN" };

const untranslated = (text: string) => untranslatedOfSectionIn("providers", text);

test("sign-in buttons, Connected accounts and the provider callback's errors in Chinese", async () => {
  const app = await startTestApp({
    env: { GITHUB_CLIENT_ID: "an-id", GITHUB_CLIENT_SECRET: "a-secret" },
  });
  const browser = app.client(ZH);
  const login = await browser.get("/login");
  expect(login.body).toContain("使用 GitHub 继续</button>");

  // No sign-in started in this browser.
  const stray = await browser.get("/auth/github/callback?code=abc&state=xyz");
  expect(stray.status).toBe(400);
  expect(stray.body).toContain("使用 GitHub 登录未成功");
  expect(stray.body).toContain("此次登录不是在这个浏览器中发起的");
  expect(untranslated(stray.body)).toEqual([]);

  // Started here, but the answer names another state.
  await browser.get("/login");
  const start = await browser.post("/auth/github/start", {});
  expect(start.status).toBe(303);
  const wrong = await browser.get("/auth/github/callback?code=abc&state=not-this-browsers");
  expect(wrong.status).toBe(400);
  expect(wrong.body).toContain("使用 GitHub 登录未成功");
  expect(untranslated(wrong.body)).toEqual([]);

  const { client } = await loggedInClient(app, "zhao@example.com", { headers: ZH });
  const account = await client.get("/account");
  const section = account.body.slice(account.body.indexOf('id="connected-accounts"'));
  expect(section).toContain("已关联的账户");
  expect(section).toContain("关联 GitHub</button>");
  expect(untranslated(section.slice(0, section.indexOf("</section>")))).toEqual([]);
  expect(account.body).toContain("已关联的账户</a>");
});
