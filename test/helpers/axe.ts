import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { projectRoot } from "../../app/paths.js";

/**
 * axe-core in a page (issue 26's checks, and issue 30's in Chinese): run through Playwright's
 * evaluate, which the Content-Security-Policy does not see.
 */

const AXE = readFileSync(join(projectRoot, "node_modules/axe-core/axe.min.js"), "utf8");

export interface Violation {
  id: string;
  help: string;
  nodes: string[];
}

/** What axe finds wrong in the page as it is now. */
export async function axeFinds(page: Page): Promise<Violation[]> {
  await page.evaluate(`${AXE};0`);
  return page.evaluate<Violation[]>(`axe.run(document, { resultTypes: ["violations"] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary) })))`);
}

/**
 * The answers that are not 200 on the tour of every page state (accessibility.test.ts, and in
 * Chinese i18n.test.ts): each form's error, and the two-factor step's wrong code.
 */
export const TOUR_ERROR_STATUSES: ReadonlyArray<readonly [number, string]> = [
  [400, "/register"],
  [401, "/login"],
  [400, "/password/forgot"],
  [400, "/account/password"],
  [400, "/account/delete"],
  [400, "/account/email"],
  [400, "/account/confirm"],
  [400, "/account/two-factor/setup"],
  [401, "/login/two-factor"],
];
