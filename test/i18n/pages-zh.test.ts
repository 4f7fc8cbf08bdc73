import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { logIn, makeUser, submitLogin } from "../helpers/auth.js";
import { englishLeftIn, hasChinese, visibleText } from "../helpers/english-left.js";
import { hasFeature } from "../helpers/features.js";
import type { HttpClient, Reply } from "../helpers/http-client.js";
import { enableTwoFactor, type TestClock, testClock } from "../helpers/totp.js";

/**
 * Issue 30: every page state a person reaches, asked for in Simplified Chinese
 * (Accept-Language: zh-CN), is in Chinese: `<html lang="zh-CN">`, Chinese characters, and no
 * English left (englishLeftIn: catalogue sentences and runs of English words).
 */

const ZH = { "accept-language": "zh-CN" };

/**
 * The page is Chinese, with its status; `state` names it in every failure. Soft: a story goes on
 * to its next states and the run reports them all.
 */
function expectChinese(state: string, reply: Reply, status: number): void {
  expect.soft(reply.status, `${state}: status`).toBe(status);
  expect.soft(/<html lang="([^"]*)"/.exec(reply.body)?.[1], `${state}: <html lang>`).toBe("zh-CN");
  const text = visibleText(reply.body);
  expect.soft(hasChinese(text), `${state}: no Chinese characters in\n${text}`).toBe(true);
  const left = englishLeftIn(text);
  expect.soft(left, `${state}: English left: ${left.join(", ")}`).toEqual([]);
}

let app: TestApp;
let clock: TestClock;

describe("one app, every state but the 429", () => {
  beforeAll(async () => {
    clock = testClock();
    app = await startTestApp({ clock: clock.clock, autoClose: false });
    await makeUser(app.pool, "ann@example.com");
  });
  afterAll(async () => {
    await app?.close();
  });

  describe("logged out, in Chinese", () => {
    test.each([
      ["the home page", "/"],
      ["the login page", "/login"],
      ["the register page", "/register"],
      ["the forgot-password page", "/password/forgot"],
    ])("%s (%s)", async (state, path) => {
      expectChinese(state, await app.client(ZH).get(path), 200);
    });

    test("the 404 page", async () => {
      expectChinese("404", await app.client(ZH).get("/no/such/page"), 404);
    });

    test("the CSRF 403 page (a form without its token)", async () => {
      const visitor = app.client(ZH);
      await visitor.get("/login");
      const reply = await visitor.request("POST", "/login", {
        form: { email: "ann@example.com", password: "x" },
      });
      expectChinese("CSRF 403", reply, 403);
    });

    test("the 413 page (a form too large)", async () => {
      const reply = await app
        .client(ZH)
        .request("POST", "/login", { form: { email: "a".repeat(20_000) } });
      expectChinese("413", reply, 413);
    });
  });

  describe("each form's error, in Chinese", () => {
    test("login, wrong password", async () => {
      const reply = await submitLogin(app.client(ZH), "ann@example.com", {
        password: "not the password at all",
      });
      expectChinese("login, wrong password", reply, 401);
    });

    test("register, a bad email and a short password", async () => {
      const visitor = app.client(ZH);
      await visitor.get("/register");
      const reply = await visitor.post("/register", { email: "not-an-address", password: "short" });
      expectChinese("register, errors", reply, 400);
    });

    test("forgot password, a bad email; then sent", async () => {
      const visitor = app.client(ZH);
      await visitor.get("/password/forgot");
      expectChinese(
        "forgot, bad email",
        await visitor.post("/password/forgot", { email: "not-an-address" }),
        400,
      );
      expectChinese(
        "forgot, sent",
        await visitor.post("/password/forgot", { email: "ann@example.com" }),
        200,
      );
    });
  });

  describe("logged in, in Chinese", () => {
    let client: HttpClient;
    beforeAll(async () => {
      await makeUser(app.pool, "bo@example.com");
      client = app.client(ZH);
      await logIn(client, "bo@example.com");
    });

    const pages = [
      "/account",
      "/account/security",
      "/account/sessions",
      "/account/email",
      "/account/confirm",
      ...(hasFeature("two-factor") ? ["/account/two-factor/setup"] : []),
      ...(hasFeature("session-inspector") ? ["/account/session"] : []),
    ];
    test.each(pages)("%s", async (path) => {
      expectChinese(path, await client.get(path), 200);
    });

    test("the security page's form errors", async () => {
      await client.get("/account/security");
      const wrong = await client.post("/account/password", {
        current_password: "not the password at all",
        new_password: "a brand new long passphrase",
      });
      expectChinese("security, wrong current password", wrong, 400);
    });

    test("the confirm page's error", async () => {
      await client.get("/account/confirm");
      const wrong = await client.post("/account/confirm", {
        password: "not the password at all",
        next: "/account/email",
      });
      expectChinese("confirm, wrong password", wrong, 400);
    });
  });

  describe.runIf(hasFeature("two-factor"))("the two-factor step, in Chinese", () => {
    test("/login/two-factor after the password, and its wrong code", async () => {
      await makeUser(app.pool, "cy@example.com");
      const setup = app.client(ZH);
      await logIn(setup, "cy@example.com");
      await enableTwoFactor(setup, clock);

      const visitor = app.client(ZH);
      const password = await submitLogin(visitor, "cy@example.com");
      expect(password.status).toBe(303);
      expect(password.location).toBe("/login/two-factor");
      const step = await visitor.get("/login/two-factor");
      expectChinese("mid two-factor", step, 200);
      const wrong = await visitor.post("/login/two-factor", { code: "000000" });
      expectChinese("mid two-factor, wrong code", wrong, 401);
    });
  });
});

// Its own app (a limit of one attempt), once the other is closed.
test("a 429 (too many login attempts), in Chinese", async () => {
  const limited = await startTestApp({ loginLimits: { perIp: 1, perAccount: 1 } });
  await makeUser(limited.pool, "dee@example.com");
  const visitor = limited.client(ZH);
  const first = await submitLogin(visitor, "dee@example.com", { password: "not the password" });
  expect(first.status).toBe(401);
  const second = await submitLogin(visitor, "dee@example.com", { password: "not it either" });
  expectChinese("login, 429", second, 429);
  expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
});
