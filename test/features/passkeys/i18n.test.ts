import { expect, test } from "vitest";
import { msg, translator } from "../../../app/i18n/index.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient } from "../../helpers/auth.js";
import { hasChinese, untranslatedOfSectionIn } from "../../helpers/english-left.js";
import { jsonOf } from "../../helpers/http-client.js";
import { passkeyToken, registerPasskey } from "../../helpers/passkeys.js";
import { SoftAuthenticator } from "../../helpers/soft-authenticator.js";

/**
 * Passkeys in Simplified Chinese: the security page's section for a browser that asks for zh-CN.
 * Nothing of the section's English is left on it, and no catalogue key shows instead of its text.
 */
const ZH = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };

/** One section of the security page, by its heading's id. */
function sectionOf(body: string, titleId: string): string {
  const start = body.indexOf(`aria-labelledby="${titleId}"`);
  expect(start, titleId).toBeGreaterThan(-1);
  return body.slice(start, body.indexOf("</section>", start));
}

test("what the first proof of an address says it removed: a count of passkeys, in either language", () => {
  expect(translator("zh-CN")(msg("passkeys.removedCount", { count: 2 }))).toBe("2 个通行密钥");
  expect(translator("en")(msg("passkeys.removedCount", { count: 1 }))).toBe("1 passkey");
});

test("passkeys in Chinese: the security page's section, its times and the script's messages; the flash and a refusal", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "lan@example.com", { headers: ZH });
  const empty = await client.get("/account/security");
  expect(sectionOf(empty.body, "passkeys-title")).toContain("还没有通行密钥。");

  const added = await registerPasskey(client, new SoftAuthenticator(app.url));
  expect(added.status, added.body).toBe(201);
  const page = await client.get("/account/security");
  expect(page.body).toContain("已添加通行密钥：“");
  const section = sectionOf(page.body, "passkeys-title");
  expect(section).toContain('<h2 id="passkeys-title">通行密钥</h2>');
  expect(section).toContain("添加于 <time");
  expect(section).toContain("从未使用");
  // The time, as Chinese readers read it ("现在", "3 分钟前").
  expect(section).toMatch(/data-local="title">[^<]*[\u4e00-\u9fff][^<]*<\/time>/);
  // What public/passkeys.js says when something goes wrong, in the page's language.
  expect(section).toContain("通行密钥请求已取消或超时。");
  const where = "security page, passkeys section";
  expect(untranslatedOfSectionIn("passkeys", section), where).toEqual([]);
  expect(hasChinese(section), where).toBe(true);

  const id = /data-passkey-id="([^"]+)"/.exec(section)?.[1];
  const renamed = await client.postJson(
    `/account/passkeys/${id}/name`,
    { name: "" },
    passkeyToken(page.body),
  );
  expect(renamed.status).toBe(400);
  expect(jsonOf<{ message: string }>(renamed).message).toBe("请为通行密钥起个名字。");
});
