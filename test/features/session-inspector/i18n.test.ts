import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient } from "../../helpers/auth.js";
import { untranslatedOfSectionIn } from "../../helpers/english-left.js";

/**
 * Issue 30, the session inspector in Simplified Chinese: its page and flashes, with no English
 * sentence of the session-inspector section left on them.
 */
const ZH = { "accept-language": "zh-CN" };

test("the session inspector in Chinese, its flashes and the countdown's words", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "wu@example.com", { headers: ZH });
  const page = await client.get("/account/session");
  expect(page.status).toBe(200);
  expect(page.body).toContain("<h1>会话检查器</h1>");
  expect(page.body).toContain("开发者</a>");
  expect(page.body).toContain('data-expired="已过期"');
  expect(page.body).toContain('data-second="秒"');
  expect(page.body).toContain("<code>req.session.counter</code>");
  // The page's own content (the settings navigation around it is the core's).
  expect(
    untranslatedOfSectionIn("session-inspector", page.body.slice(page.body.indexOf("<h1>"))),
  ).toEqual([]);

  await client.post("/account/session/touch", {});
  const after = await client.get("/account/session");
  expect(after.body).toContain("已刷新：maxAge 原剩余 无，现为 无（originalMaxAge 为 无）。");
  expect(
    untranslatedOfSectionIn("session-inspector", after.body.slice(after.body.indexOf("<h1>"))),
  ).toEqual([]);
});
