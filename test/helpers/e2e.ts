import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type ConsoleMessage,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { projectRoot } from "../../app/paths.js";
import { startTestApp, type TestApp, type TestAppOptions } from "./app.js";
import { PASSWORD, sessionIdFromCookie } from "./auth.js";
import { type Listening, listen } from "./listen.js";

/**
 * Browser tests: Playwright (playwright-core, no browser download) driving Debian's Chromium.
 * A file calls `useBrowser()` once: one browser for the file, a new context (a fresh cookie jar,
 * as a new browser profile) per test or per stand-in user, every page watched for console
 * errors, uncaught exceptions and Content-Security-Policy violations, which fail the test.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS_DIR = join(projectRoot, "screenshots");

const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;
export type Cookie = Awaited<ReturnType<BrowserContext["cookies"]>>[number];

/** A Content-Security-Policy violation as the page reported it. */
export interface CspViolation {
  page: string;
  directive: string;
  blocked: string;
}

/** Everything that went wrong in a context's pages that a test did not say it expected. */
export interface Problems {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: CspViolation[];
}

// Each page reports `securitypolicyviolation` events to Node through a binding, so a violation
// during a page that is navigated away from right after is still counted.
const CSP_BINDING = "__e2eReportCspViolation";
const CSP_LISTENER = `
  document.addEventListener("securitypolicyviolation", (event) => {
    const report = window[${JSON.stringify(CSP_BINDING)}];
    if (typeof report === "function") {
      report({ page: location.href, directive: event.effectiveDirective, blocked: event.blockedURI });
    }
  });
`;

// What Chromium logs for any response with an error status, pages included.
const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d{3})\b/;

/** A browser context (a fresh profile's cookie jar) whose pages are watched for problems. */
export class WatchedContext {
  readonly problems: Problems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
  readonly #expectedStatuses: Array<{ status: number; path: string }> = [];

  constructor(
    readonly context: BrowserContext,
    readonly baseUrl: string,
  ) {}

  /**
   * This test expects `path` on the app to answer `status` (a 403, 404, 429 page...): Chromium's
   * "Failed to load resource: ... status of <status>" for it is not a problem. Nothing else is
   * excused.
   */
  expectStatus(status: number, path: string): void {
    this.#expectedStatuses.push({ status, path });
  }

  /** Forget the problems so far (after a test provoked one on purpose and checked it). */
  clearProblems(): void {
    this.problems.consoleErrors.length = 0;
    this.problems.pageErrors.length = 0;
    this.problems.cspViolations.length = 0;
  }

  newPage(): Promise<Page> {
    return this.context.newPage();
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  /** The cookie jar as it would be saved to disk (cookies and local storage). */
  storageState(): Promise<StorageState> {
    return this.context.storageState();
  }

  /** The browser's cookie of that name for the app, if it holds one. */
  async cookie(name: string): Promise<Cookie | undefined> {
    return (await this.context.cookies(this.baseUrl)).find((cookie) => cookie.name === name);
  }

  /** Starts watching every page of the context, popups included. Called once, before any page. */
  async watch(): Promise<void> {
    this.context.on("page", (page) => {
      page.on("console", (message) => this.#onConsole(message));
      page.on("pageerror", (error) => this.problems.pageErrors.push(`${page.url()}: ${error}`));
    });
    await this.context.exposeBinding(CSP_BINDING, (_source, violation: CspViolation) => {
      this.problems.cspViolations.push(violation);
    });
    await this.context.addInitScript({ content: CSP_LISTENER });
  }

  #onConsole(message: ConsoleMessage): void {
    if (message.type() !== "error") return;
    const text = message.text();
    const where = message.location().url;
    const status = FAILED_RESOURCE.exec(text)?.[1];
    if (status !== undefined && this.#isExpected(Number(status), where)) return;
    this.problems.consoleErrors.push(`${text} (${where || "no location"})`);
  }

  #isExpected(status: number, url: string): boolean {
    if (!url.startsWith(this.baseUrl)) return false;
    const path = new URL(url).pathname;
    return this.#expectedStatuses.some((e) => e.status === status && e.path === path);
  }
}

export interface E2e {
  readonly browser: Browser;
  /** The real app on a fresh schema, closed when the test ends (see startTestApp). */
  startApp(options?: TestAppOptions): Promise<TestApp>;
  /** A new, empty browser profile for the app at `app.url`, closed when the test ends. */
  newContext(
    app: { url: string },
    options?: Omit<BrowserContextOptions, "baseURL">,
  ): Promise<WatchedContext>;
  /** newContext() and one page in it: the common start. */
  newPage(
    app: { url: string },
    options?: Omit<BrowserContextOptions, "baseURL">,
  ): Promise<{ watched: WatchedContext; page: Page }>;
}

export interface LaunchOptions {
  /**
   * Keep Chromium's back/forward cache on, as in a real browser (Playwright turns it off by
   * default), so going back may restore a page from memory instead of asking the server again.
   */
  backForwardCache?: boolean;
}

export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: LAUNCH_ARGS,
    ...(options.backForwardCache ? { ignoreDefaultArgs: ["--disable-back-forward-cache"] } : {}),
  });
}

/**
 * Registers the file's hooks: Chromium once for the file, and after each test its contexts are
 * closed and any console error, page error or CSP violation they saw fails that test.
 */
export function useBrowser(options: LaunchOptions = {}): E2e {
  let browser: Browser | undefined;
  const contexts: WatchedContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium(options);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const open = contexts.splice(0);
    await Promise.all(open.map((watched) => watched.close()));
    for (const watched of open) {
      expect(watched.problems, `problems in the browser at ${watched.baseUrl}`).toEqual({
        consoleErrors: [],
        pageErrors: [],
        cspViolations: [],
      });
    }
  });

  const e2e: E2e = {
    get browser() {
      if (!browser) throw new Error("the browser starts in beforeAll");
      return browser;
    },
    startApp: (options = {}) => startTestApp(options),
    async newContext(app, options = {}) {
      const context = await e2e.browser.newContext({
        ...options,
        baseURL: app.url,
        viewport: options.viewport ?? { width: 900, height: 700 },
      });
      const watched = new WatchedContext(context, app.url);
      contexts.push(watched);
      await watched.watch();
      return watched;
    },
    async newPage(app, options = {}) {
      const watched = await e2e.newContext(app, options);
      return { watched, page: await watched.newPage() };
    },
  };
  return e2e;
}

/** The saved state minus browser-session cookies (no Expires): what survives a browser restart. */
export function afterBrowserRestart(state: StorageState): StorageState {
  return { ...state, cookies: state.cookies.filter((cookie) => cookie.expires !== -1) };
}

/** The path and query of the page's URL ("/login?next=%2Faccount"). */
export function pathOf(page: Page): string {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
}

export interface BrowserLogIn {
  password?: string;
  remember?: boolean;
}

/** Fills in the login form the page shows and submits it with the button. */
export async function submitLoginForm(
  page: Page,
  email: string,
  options: BrowserLogIn = {},
): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(options.password ?? PASSWORD);
  if (options.remember) await page.getByLabel("Remember me on this device").check();
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Opens the login page, logs in and waits for the account page. */
export async function logInWithBrowser(
  page: Page,
  email: string,
  options: BrowserLogIn = {},
): Promise<void> {
  await page.goto("/login");
  await submitLoginForm(page, email, options);
  await page.waitForURL("**/account");
}

/** The text a person sees in the element (rendered: hidden parts left out, as on screen). */
export function textOf(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node; the rendered text is what the tests read.
  return locator.innerText();
}

/** The flash message (role=status) once it says `text`. */
export async function flashSaying(page: Page, text: string | RegExp): Promise<string> {
  const flash = page.getByRole("status").filter({ hasText: text });
  await flash.waitFor();
  return (await textOf(flash)).trim();
}

/** The session ID in the browser's session cookie (`sid`), or undefined without one. */
export async function browserSessionId(watched: WatchedContext): Promise<string | undefined> {
  const cookie = await watched.cookie("sid");
  return cookie === undefined ? undefined : sessionIdFromCookie(cookie.value);
}

/** Saves a full-page screenshot as screenshots/<name>.png (git-ignored); returns the path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Another site: serves one page (the HTML given) at `/` on 127.0.0.1, any free port, until
 * close(). Everything else is an empty 204, so the browser logs nothing for it.
 */
export function serveOtherSite(html: string): Promise<Listening> {
  return listen((req, res) => {
    if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    } else {
      res.writeHead(204);
      res.end();
    }
  });
}

/** The widths every page is checked at: a phone (an iPhone 12 to 15) and a desktop. */
export const VIEWPORTS = {
  "phone (390 px)": { width: 390, height: 844 },
  "desktop (1280 px)": { width: 1280, height: 800 },
} as const;

/** How wide the page is against the window: wider means it scrolls sideways. */
export function pageWidth(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(
    "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })",
  );
}

/** Fails unless the page fits the window's width (`name` says which page, for the message). */
export async function expectNoSidewaysScroll(page: Page, name: string): Promise<void> {
  const { scrollWidth, innerWidth } = await pageWidth(page);
  expect(
    scrollWidth,
    `${name}: ${scrollWidth} px wide in a ${innerWidth} px window`,
  ).toBeLessThanOrEqual(innerWidth);
}

/** The element with keyboard focus, as "tag#id|text" ("input#email|"). */
export function focused(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const el = document.activeElement;
    return el ? el.tagName.toLowerCase() + "#" + el.id + "|" + el.textContent.trim() : "";
  })()`);
}

/** Waits until the element with keyboard focus is `expected` (focus moves after events settle). */
export async function focusReaches(page: Page, expected: string): Promise<void> {
  await expect.poll(() => focused(page), { timeout: 10_000 }).toBe(expected);
}

// The few browser globals the helpers call, typed here: the project's TypeScript has no DOM lib.
interface BrowserWindow {
  getComputedStyle(element: unknown, pseudo: string): { content: string };
}

/** The CSS `::before` content of each element (`'"IP"'`, or "none"): labels drawn by CSS. */
export function beforeContents(locator: Locator): Promise<string[]> {
  return locator.evaluateAll((elements) =>
    elements.map(
      (element) =>
        (globalThis as unknown as BrowserWindow).getComputedStyle(element, "::before").content,
    ),
  );
}

// UPDATE_DOCS_SCREENSHOTS=1 writes the small README screenshots into docs/screenshots/.
const DOCS_DIR = process.env.UPDATE_DOCS_SCREENSHOTS
  ? join(projectRoot, "docs", "screenshots")
  : join(SCREENSHOTS_DIR, "docs");
const DOCS_MAX_BYTES = 200 * 1024;

/** A small PNG for the README: the top of the page (or one element), at the page's width. */
export async function docShot(page: Page, name: string, selector?: string): Promise<void> {
  mkdirSync(DOCS_DIR, { recursive: true });
  const path = join(DOCS_DIR, `${name}.png`);
  const width = page.viewportSize()?.width ?? 900;
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, clip: { x: 0, y: 0, width, height: 640 } });
  expect(statSync(path).size, path).toBeLessThan(DOCS_MAX_BYTES);
}
