import { Router } from "express";
import { expect, test } from "vitest";
import type { Feature } from "../app/core/feature.js";
import { startTestApp } from "./helpers/app.js";
import { loggedInClient, makeUser, PASSWORD, submitLogin } from "./helpers/auth.js";
import { jsonOf } from "./helpers/http-client.js";

/**
 * The core's extension points a feature uses to refuse a sign-in (checkSignIn), a sensitive
 * change (refuseSensitive), to act on every request (everyRequest) and to put a banner on every
 * page (banners), shown with a feature of the test's own and no other: the core alone honours them.
 */
const gate: Feature = {
  name: "gate",
  setup: (kit) => ({
    routes: Router().get("/test/recent/:id", async (req, res) => {
      res.json({ recent: await kit.events.recent(String(req.params.id), 5) });
    }),
    eventLog: async (userId, limit) =>
      [{ kind: "sign_in", method: "password", ip: null, createdAt: new Date(0) }].slice(
        0,
        userId === "7" ? limit : 0,
      ),
    checkSignIn: async (user) =>
      user.email.startsWith("barred") ? "Not today, for reasons of our own." : undefined,
    refuseSensitive: (req) => (req.get("x-test-refuse") ? "Refused by the gate." : undefined),
    everyRequest: (_req, res, next) => {
      res.set("x-every-request", "seen");
      next();
    },
    banners: [
      {
        id: "gate-banner",
        render: async (req) =>
          req.user ? `<p data-testid="gate-banner">Banner for ${req.user.id}</p>` : undefined,
      },
    ],
  }),
};

test("checkSignIn: a message refuses the sign-in (403, nobody logged in); no message lets it through", async () => {
  const app = await startTestApp({ features: [gate] });
  await makeUser(app.pool, "barred@example.com");
  const barred = app.client();
  const refused = await submitLogin(barred, "barred@example.com");
  expect(refused.status).toBe(403);
  expect(refused.body).toContain("Not today, for reasons of our own.");
  expect((await barred.get("/account")).status).toBe(303);
  const script = app.client();
  const token = jsonOf<{ csrfToken: string }>(await script.getJson("/login")).csrfToken;
  const json = await script.postJson(
    "/login",
    { email: "barred@example.com", password: PASSWORD },
    token,
  );
  expect(json.status).toBe(403);
  expect(jsonOf<{ error: string }>(json).error).toBe("sign_in_refused");
  // Someone else signs in as ever.
  const { client } = await loggedInClient(app, "free@example.com");
  expect((await client.get("/account")).status).toBe(200);
});

test("refuseSensitive: sudo mode asks the features first; a message refuses the change, nothing changes", async () => {
  const app = await startTestApp({ features: [gate] });
  const { client } = await loggedInClient(app, "ann@example.com");
  const page = await client.get("/account/security");
  const form = {
    _csrf: client.csrfToken(page.body) ?? "",
    current_password: PASSWORD,
    new_password: "a completely different passphrase",
  };
  const refused = await client.post("/account/password", form, { "x-test-refuse": "1" });
  expect(refused.status).toBe(303);
  expect(refused.location).toBe("/account/security");
  expect((await client.get("/account/security")).body).toContain("Refused by the gate.");
  const json = await client.request("POST", "/account/password", {
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      "x-csrf-token": form._csrf,
      "x-test-refuse": "1",
    },
    body: JSON.stringify(form),
  });
  expect(json.status).toBe(403);
  expect(jsonOf<{ error: string }>(json).error).toBe("not_allowed");
  // Without the refusal, the same change goes through.
  expect((await client.post("/account/password", form)).location).toBe("/account/security");
});

test("everyRequest runs before the core's routes; banners are on every page", async () => {
  const app = await startTestApp({ features: [gate] });
  const anonymous = app.client();
  expect((await anonymous.get("/login")).headers.get("x-every-request")).toBe("seen");
  expect((await anonymous.get("/")).body).not.toContain("gate-banner");
  const { client, user } = await loggedInClient(app, "ann@example.com");
  for (const path of ["/", "/account", "/account/security", "/account/sessions", "/no-such-page"]) {
    const reply = await client.get(path);
    expect(reply.headers.get("x-every-request"), path).toBe("seen");
    expect(reply.body, path).toContain(`<p data-testid="gate-banner">Banner for ${user.id}</p>`);
  }
});

test("eventLog: kit.events.recent reads the feature that keeps events; without one, none", async () => {
  const app = await startTestApp({ features: [gate] });
  const recent = jsonOf<{ recent: { kind: string }[] }>(
    await app.client().getJson("/test/recent/7"),
  );
  expect(recent.recent.map((event) => event.kind)).toEqual(["sign_in"]);
  const none = jsonOf<{ recent: unknown[] }>(await app.client().getJson("/test/recent/8"));
  expect(none.recent).toEqual([]);
});
