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
