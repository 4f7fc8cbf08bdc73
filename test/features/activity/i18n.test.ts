import { expect, test } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient } from "../../helpers/auth.js";
import { untranslatedOfSectionIn } from "../../helpers/english-left.js";

/**
 * Issue 30, activity in Simplified Chinese: the security page's section, with no English
 * sentence of the activity section left on it.
 */
const ZH = { "accept-language": "zh-CN" };

test("the security page's activity in Chinese: the events, the devices and a relative time", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "li@example.com", {
    headers: {
      ...ZH,
      "user-agent":
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0",
    },
  });
  const page = await client.get("/account/security");
  expect(page.status).toBe(200);
  const section = page.body.slice(page.body.indexOf('id="activity-title"'));
  expect(section).toContain("近期安全活动");
  expect(section).toContain("（使用密码），来自 macOS 上的 Firefox，");
  expect(section).toMatch(/<time [^>]*>(现在|\d+\s*秒钟前)<\/time>/);
  expect(
    untranslatedOfSectionIn("activity", section.slice(0, section.indexOf("</section>"))),
  ).toEqual([]);
});
