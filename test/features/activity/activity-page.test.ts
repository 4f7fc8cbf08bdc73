import { describe, expect, it } from "vitest";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, submitLogin } from "../../helpers/auth.js";

const FIREFOX_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0";

describe("Recent security activity on the security page", () => {
  it("reads as sentences, newest first, and shows only this user's events", async () => {
    const app = await startTestApp();
    await loggedInClient(app, "other@example.com");
    const { client, user } = await loggedInClient(app, "dana@example.com", {
      headers: { "user-agent": FIREFOX_MAC },
    });
    await submitLogin(app.client({ "user-agent": "<script>alert(1)</script>" }), user.email, {
      password: "wrong password here",
    });

    const page = await client.get("/account/security");

    expect(page.status).toBe(200);
    const section = page.body.slice(page.body.indexOf("Recent security activity"));
    const items = [...section.matchAll(/<li data-kind="([a-z_]+)">([^<]*)/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(items).toEqual([
      ["sign_in_failed", "Failed sign-in (wrong password) from an unknown browser, "],
      ["sign_in", "Signed in with a password from Firefox on macOS, "],
    ]);
    expect(section).toMatch(/<time [^>]*>(now|\d+ seconds? ago)<\/time>/);
    expect(page.body).not.toContain("alert(1)");
  });
});
