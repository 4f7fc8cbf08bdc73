import { describe, expect, it } from "vitest";
import { listEvents } from "../../../app/features/activity/list.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, makeUser, submitLogin } from "../../helpers/auth.js";

const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36";
const kinds = async (app: Awaited<ReturnType<typeof startTestApp>>, userId: string) =>
  (await listEvents(app.pool, userId)).map((e) => [e.kind, e.method]);

describe("sign-in activity", () => {
  it("records a sign-in with its address and browser, a failed one and a sign-out, for that user only", async () => {
    const app = await startTestApp();
    const { client, user } = await loggedInClient(app, "ann@example.com", {
      headers: { "user-agent": UA },
    });
    const other = await loggedInClient(app, "bob@example.com");
    await other.client.get("/account");
    expect((await other.client.post("/logout")).status).toBe(303);

    const [signIn] = await listEvents(app.pool, user.id);
    expect(signIn).toMatchObject({ kind: "sign_in", method: "password", userAgent: UA });
    expect(signIn?.ip).toMatch(/127\.0\.0\.1/);

    const stranger = app.client();
    expect((await submitLogin(stranger, user.email, { password: "not the password" })).status).toBe(
      401,
    );
    await client.get("/account");
    expect((await client.post("/logout")).status).toBe(303);

    expect(await kinds(app, user.id)).toEqual([
      ["sign_out", null],
      ["sign_in_failed", null],
      ["sign_in", "password"],
    ]);
    expect(await kinds(app, other.user.id)).toEqual([
      ["sign_out", null],
      ["sign_in", "password"],
    ]);
  });

  it("records nothing for a guess at an address without an account", async () => {
    const app = await startTestApp();
    await makeUser(app.pool, "carol@example.com");
    await submitLogin(app.client(), "nobody@example.com");
    const { rows } = await app.pool.query("select count(*)::int as n from security_events");
    expect(rows[0].n).toBe(0);
  });
});
