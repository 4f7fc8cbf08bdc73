import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { projectRoot } from "../../app/paths.js";
import type { TestApp } from "../helpers/app.js";
import { makeUser } from "../helpers/auth.js";
import { flashSaying, pathOf, textOf, useBrowser } from "../helpers/e2e.js";

const e2e = useBrowser();
const AXE = readFileSync(join(projectRoot, "node_modules/axe-core/axe.min.js"), "utf8");

/** What axe-core finds on the page (as test/e2e/accessibility.test.ts runs it). */
async function axeFinds(page: Page): Promise<string[]> {
  await page.evaluate(`${AXE};0`);
  return page.evaluate<string[]>(
    `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => v.id + ": " + v.help))`,
  );
}

/** The newest mail to `to` in the development outbox, once the app has sent it. */
async function newestMailTo(app: TestApp, to: string) {
  await app.mailer.idle();
  const mail = app.mailer.outbox?.list().find((m) => m.to === to);
  if (!mail) throw new Error(`no mail to ${to}`);
  const link = /https?:\/\/\S+\/login\/email\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
  const code = /^(\d{6})$/m.exec(mail.text)?.[1];
  if (!link || !code) throw new Error(`no link or code in:\n${mail.text}`);
  return { link, code };
}

test("Email me a sign-in link → a scanner's visit changes nothing → the link in the browser that asked signs in; the code works where the address was typed", async () => {
  const app = await e2e.startApp();
  await makeUser(app.pool, "mail@example.com");
  const { page, watched } = await e2e.newPage(app);

  await page.goto("/login");
  await page.getByLabel("Email").fill("mail@example.com");
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await page.waitForURL("**/login/email");
  await flashSaying(page, "Check your mail");
  await page.getByLabel("Code from the mail").waitFor();
  expect(await axeFinds(page)).toEqual([]);
  const { link } = await newestMailTo(app, "mail@example.com");

  // Another browser (a mail scanner, or the phone the mail was read on): the page says to use
  // the code, and pressing its button signs nobody in.
  const other = await e2e.newPage(app);
  other.watched.expectStatus(403, new URL(link).pathname);
  await other.page.goto(link);
  await other.page.getByTestId("other-browser").waitFor();
  expect(await axeFinds(other.page)).toEqual([]);
  await other.page.getByRole("button", { name: "Sign in" }).click();
  await other.page.getByText("only in the browser where you asked for it").first().waitFor();
  await other.page.goto("/account");
  await other.page.waitForURL("**/login**");

  // The browser that asked: the link's page, then its button.
  const tab = await watched.newPage();
  await tab.goto(link);
  expect(await tab.getByTestId("other-browser").count()).toBe(0);
  expect(await axeFinds(tab)).toEqual([]);
  await tab.getByRole("button", { name: "Sign in" }).click();
  await tab.waitForURL("**/account");
  expect(pathOf(tab)).toBe("/account");
  await tab.getByRole("heading", { name: "Account", level: 1 }).waitFor();

  // On a third browser, by the code: typed on the page where the address was entered.
  const third = await e2e.newPage(app);
  await third.page.goto("/login");
  await third.page.getByLabel("Email").fill("mail@example.com");
  await third.page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await third.page.getByLabel("Code from the mail").waitFor();
  const { code } = await newestMailTo(app, "mail@example.com");
  // A wrong code first: the message beside the field, announced, and the focus there.
  third.watched.expectStatus(401, "/login/email/code");
  await third.page.getByLabel("Code from the mail").fill(code === "000000" ? "111111" : "000000");
  await third.page.getByRole("button", { name: "Sign in with the code" }).click();
  await third.page.getByRole("alert").filter({ hasText: "That code is wrong" }).waitFor();
  expect(await axeFinds(third.page)).toEqual([]);
  await third.page.getByLabel("Code from the mail").fill(code);
  await third.page.getByRole("button", { name: "Sign in with the code" }).click();
  await third.page.waitForURL("**/account");
  expect(await textOf(third.page.getByRole("heading", { level: 1 }))).toBe("Account");
});
