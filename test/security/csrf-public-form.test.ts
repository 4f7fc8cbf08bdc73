import { Eta } from "eta";
import { Router } from "express";
import { beforeEach, describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { countSessionRows, loggedInClient, sessionIdOf, sessionRow } from "../helpers/auth.js";
import type { HttpClient, Reply } from "../helpers/http-client.js";

/**
 * A form added to the app for visitors who are not logged in (here "/newsletter") works as it
 * is: no list of public forms to edit. Its token is stateless for a visitor (looking writes no
 * session row), the session's own for a logged-in user, and a forged POST is refused.
 */

const FORM = `<form method="post" action="/newsletter">
  <input type="hidden" name="_csrf" value="<%= it.csrf() %>">
  <input name="email"><button type="submit">Subscribe</button>
</form>`;

let app: TestApp;
/** Who the form's POST handler accepted: what a forged POST must never add to. */
let subscribed: string[];

beforeEach(async () => {
  subscribed = [];
  const eta = new Eta({ autoEscape: true });
  app = await startTestApp({
    // A brand-new public form, written the one way: `it.csrf()` in the template. Nothing else.
    extraRoutes: () =>
      Router()
        .get("/newsletter", (_req, res) => {
          res.type("html").send(eta.renderString(FORM, res.locals));
        })
        .post("/newsletter", (req, res) => {
          subscribed.push(String(req.body?.email));
          res.type("text").send("Subscribed");
        }),
  });
});

const expectRefused = (reply: Reply) => {
  expect(reply.status).toBe(403);
  expect(reply.body).toContain("This form has expired");
  expect(subscribed).toEqual([]);
};

test("a visitor who is not logged in sends the new form; looking at it wrote no session row", async () => {
  const visitor = app.client();
  const page = await visitor.get("/newsletter");
  expect(page.status).toBe(200);
  expect(page.headers.get("cache-control")).toBe("no-store");
  expect(visitor.csrfToken()).toMatch(/\S{20,}/);
  expect(sessionIdOf(visitor)).toBeUndefined();
  expect(await countSessionRows(app.pool)).toBe(0);

  const reply = await visitor.post("/newsletter", { email: "zoe@example.com" });
  expect(reply.status).toBe(200);
  expect(reply.body).toBe("Subscribed");
  expect(subscribed).toEqual(["zoe@example.com"]);
  expect(await countSessionRows(app.pool)).toBe(0);
});

describe("a forged POST to the new public form is refused", () => {
  /** The victim has looked at the form (so holds a token cookie of their own). */
  const victimWhoLooked = async (): Promise<HttpClient> => {
    const victim = app.client();
    await victim.get("/newsletter");
    return victim;
  };
  /** A real token, from the attacker's own visit: valid only with the attacker's cookie. */
  const attackersToken = async (): Promise<string> => {
    const attacker = app.client();
    await attacker.get("/newsletter");
    return attacker.csrfToken() as string;
  };

  test("with no token", async () => {
    const victim = await victimWhoLooked();
    expectRefused(await victim.request("POST", "/newsletter", { form: { email: "x@evil.test" } }));
  });

  test("with a made-up token", async () => {
    const victim = await victimWhoLooked();
    expectRefused(
      await victim.request("POST", "/newsletter", {
        form: { email: "x@evil.test", _csrf: "a".repeat(64) },
      }),
    );
  });

  test("with the attacker's own real token, from a victim who looked at the form", async () => {
    const victim = await victimWhoLooked();
    expectRefused(
      await victim.request("POST", "/newsletter", {
        form: { email: "x@evil.test", _csrf: await attackersToken() },
      }),
    );
  });

  test("with the attacker's own real token, from a victim who never looked", async () => {
    const victim = app.client();
    expectRefused(
      await victim.request("POST", "/newsletter", {
        form: { email: "x@evil.test", _csrf: await attackersToken() },
      }),
    );
  });
});

describe("logged in, the same form carries the session's token", () => {
  test("the form's token is the session's, and the POST goes through", async () => {
    const { client: ann } = await loggedInClient(app, "ann@example.com");
    await ann.get("/newsletter");
    const row = await sessionRow(app.pool, sessionIdOf(ann) as string);
    expect(ann.csrfToken()).toBe(row?.sess.csrfToken);
    expect((await ann.post("/newsletter", { email: "ann@example.com" })).status).toBe(200);
    expect(subscribed).toEqual(["ann@example.com"]);
  });

  test("a stateless token pair planted in a logged-in browser is refused (cookie tossing)", async () => {
    const { client: ann } = await loggedInClient(app, "ann@example.com");
    // The attacker's own valid pair: their cookie, their token.
    const attacker = app.client();
    await attacker.get("/newsletter");
    const token = attacker.csrfToken() as string;
    ann.cookies.set("csrf", attacker.cookies.get("csrf") as string);
    expectRefused(
      await ann.request("POST", "/newsletter", { form: { email: "x@evil.test", _csrf: token } }),
    );
  });
});
