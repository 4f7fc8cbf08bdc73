import { describe, expect, test } from "vitest";
import { hashPassword } from "../../../app/auth/passwords.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient, logIn, makeUser } from "../../helpers/auth.js";
import { hasFeature } from "../../helpers/features.js";
import { jsonOf } from "../../helpers/http-client.js";
import { NEW_DEVICE_SUBJECT, startTestSmtp } from "../../helpers/mail.js";
import { enableTwoFactor, testClock } from "../../helpers/totp.js";
import { adminClient, press } from "./admin-helpers.js";

interface ListedUser {
  id: string;
  email: string;
  role: string;
  lockedAt: string | null;
  twoFactor: boolean;
}

describe("/admin: users newest first, searched by address prefix, a page at a time", () => {
  test("newest first, 25 a page, keyset pages to the end; a prefix in any case; wildcards are letters", async () => {
    const app = await startTestApp();
    const hash = await hashPassword("a long passphrase for all of them");
    // 60 users: 30 at example.com, 30 at other.org, alternating, plus a tricky address.
    await app.pool.query(
      `insert into users (email, password_hash)
       select case when n % 2 = 0 then 'user' || n || '@example.com' else 'Person' || n || '@other.org' end, $1
         from generate_series(1, 60) as n`,
      [hash],
    );
    await app.pool.query(
      "insert into users (email, password_hash) values ('a_b%c@example.com', $1)",
      [hash],
    );
    const { client } = await adminClient(app);

    const seen: ListedUser[] = [];
    let path: string | null = "/admin";
    while (path) {
      const reply = await client.getJson(path);
      expect(reply.status).toBe(200);
      const page = jsonOf<{ users: ListedUser[]; next: string | null }>(reply);
      expect(page.users.length).toBeLessThanOrEqual(25);
      seen.push(...page.users);
      path = page.next ? `/admin?after=${page.next}` : null;
    }
    expect(seen).toHaveLength(62);
    expect(seen[0]?.email).toBe("admin@example.com");
    const ids = seen.map((user) => Number(user.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const search = async (q: string) => {
      const found: string[] = [];
      let after = "";
      for (;;) {
        const reply = await client.getJson(
          `/admin?${new URLSearchParams({ q, ...(after ? { after } : {}) })}`,
        );
        const page = jsonOf<{ users: ListedUser[]; next: string | null }>(reply);
        found.push(...page.users.map((user) => user.email));
        if (!page.next) return found;
        after = page.next;
      }
    };
    expect(await search("PERSON")).toHaveLength(30);
    expect(await search("person1")).toEqual(
      ["Person19", "Person17", "Person15", "Person13", "Person11", "Person1"].map(
        (name) => `${name}@other.org`,
      ),
    );
    expect(await search("a_b%")).toEqual(["a_b%c@example.com"]);
    expect(await search("a%")).toEqual([]);
    expect(await search("nobody")).toEqual([]);

    // The page: the table, the search kept in the form, the link to the next page.
    const html = await client.get("/admin?q=user");
    expect(html.status).toBe(200);
    expect(html.body).toContain('value="user"');
    expect(html.body).toMatch(/href="\/admin\?q=user&amp;after=\d+" rel="next">Older</);
    expect(html.body).toContain('<a href="/admin/users/');
  });

  test("each user's state: verified, two-factor, sign-in methods, locked, last sign-in; values escaped", async () => {
    const clock = testClock();
    const app = await startTestApp({ clock: clock.clock });
    const { client: ann, user } = await loggedInClient(app, "ann@example.com");
    if (hasFeature("two-factor")) await enableTwoFactor(ann, clock);
    await makeUser(app.pool, "<script>x</script>@example.com");
    const { client } = await adminClient(app);
    const listed = jsonOf<{
      users: (ListedUser & { lastSignIn: unknown; emailVerifiedAt: unknown })[];
    }>(await client.getJson("/admin")).users;
    const annRow = listed.find((row) => row.email === "ann@example.com");
    expect(annRow).toMatchObject({
      role: "user",
      lockedAt: null,
      twoFactor: hasFeature("two-factor"),
    });
    expect(annRow?.lastSignIn).toBeTruthy();
    expect(listed.find((row) => row.email.startsWith("<script>"))?.lastSignIn).toBeNull();
    const page = await client.get("/admin");
    expect(page.body).not.toContain("<script>x</script>");
    expect(page.body).toContain("&lt;script&gt;x&lt;/script&gt;@example.com");
    if (hasFeature("passkeys")) expect(page.body).toContain(">Passkeys</th>");
    const userPage = await client.get(`/admin/users/${user.id}`);
    expect(userPage.status).toBe(200);
    expect(userPage.body).toContain('<h2 id="sessions-title">Sessions</h2>');
    expect(userPage.body).toContain("Sign in as this user");
    expect(userPage.body).toContain(">Lock</button>");
    expect(userPage.body).toContain(">Sign out everywhere</button>");
    expect(userPage.body).toContain(">Delete account</button>");
    if (hasFeature("two-factor")) expect(userPage.body).toContain(">Turn off two-factor</button>");
    expect(userPage.body).toContain(">Resend verification</button>");
    // No such user: 404.
    expect((await client.get("/admin/users/999999")).status).toBe(404);
    expect((await client.get("/admin/users/abc")).status).toBe(404);
  });
});

describe("a user's page: its actions, each in the audit trail and the user's own trail", () => {
  test("revoke one session, sign out everywhere", async () => {
    const app = await startTestApp();
    const { client: laptop, user } = await loggedInClient(app, "ann@example.com");
    const phone = app.client();
    await logIn(phone, "ann@example.com");
    const { client } = await adminClient(app);
    const page = await client.get(`/admin/users/${user.id}`);
    const keys = [...page.body.matchAll(/name="key" value="([0-9a-f]{64})"/g)].map(
      (m) => m[1] as string,
    );
    expect(keys).toHaveLength(2);
    const revoked = await client.post(`/admin/users/${user.id}/sessions/revoke`, {
      key: keys[0] as string,
    });
    expect(revoked.status).toBe(303);
    const alive = [
      (await laptop.get("/account")).status,
      (await phone.get("/account")).status,
    ].sort();
    expect(alive).toEqual([200, 303]);
    expect((await press(client, user.id, "sign-out")).status).toBe(303);
    expect((await laptop.get("/account")).status).toBe(303);
    expect((await phone.get("/account")).status).toBe(303);
    // They can sign in again: a sign-out is not a lock.
    await logIn(app.client(), "ann@example.com");
    if (hasFeature("activity")) {
      const { rows } = await app.pool.query(
        "select kind from security_events where user_id = $1 and kind like 'admin%' order by id",
        [user.id],
      );
      expect(rows.map((row) => row.kind)).toEqual(["admin_session_revoked", "admin_signed_out"]);
      // The user's page lists their recent activity (kit.events.recent: the activity feature's).
      const page = await client.get(`/admin/users/${user.id}`);
      expect(page.body).toContain("An administrator signed you out everywhere");
      expect(page.body).toContain("An administrator ended one of your sessions");
    }
  });

  test.skipIf(!hasFeature("two-factor"))(
    "Turn off two-factor: the user's factor is removed through its own contract, a mail, the trail",
    async () => {
      const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
      const clock = testClock();
      const app = await startTestApp({ clock: clock.clock, env: { SMTP_URL: smtp.url } });
      const { client: ann, user } = await loggedInClient(app, "ann@example.com");
      await enableTwoFactor(ann, clock);
      const { client } = await adminClient(app);
      expect((await press(client, user.id, "two-factor/disable")).status).toBe(303);
      expect(
        (await app.pool.query("select 1 from two_factor where user_id = $1", [user.id])).rowCount,
      ).toBe(0);
      expect(
        (await app.pool.query("select 1 from recovery_codes where user_id = $1", [user.id]))
          .rowCount,
      ).toBe(0);
      // The password alone signs in now.
      const again = app.client();
      expect((await logIn(again, "ann@example.com")).location).toBe("/account");
      const mail = await smtp.nextMailTo("ann@example.com");
      expect(mail.subject).toBe("Two-factor was turned off on your account");
      if (hasFeature("activity")) {
        const trail = await again.get("/account/security");
        expect(trail.body).toContain("An administrator turned off your two-factor");
      }
    },
  );

  test("Resend verification: a new link; Delete account: gone, with a mail; all in /admin/audit", async () => {
    const smtp = await startTestSmtp({ ignoreSubjects: [NEW_DEVICE_SUBJECT] });
    const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
    const { client: ann, user } = await loggedInClient(app, "ann@example.com");
    const { client, admin } = await adminClient(app);
    expect((await press(client, user.id, "verification")).status).toBe(303);
    const verification = await smtp.nextMailTo("ann@example.com");
    expect(verification.subject).toBe("Confirm your email address");

    expect((await press(client, user.id, "delete")).status).toBe(303);
    expect((await app.pool.query("select 1 from users where id = $1", [user.id])).rowCount).toBe(0);
    expect((await ann.get("/account")).status).toBe(303);
    expect((await smtp.nextMailTo("ann@example.com")).subject).toBe("Your account was deleted");

    // An administrator cannot act on themselves from /admin.
    const self = await press(client, admin.id, "delete");
    expect(self.status).toBe(303);
    expect((await app.pool.query("select 1 from users where id = $1", [admin.id])).rowCount).toBe(
      1,
    );

    const audit = await client.get("/admin/audit");
    expect(audit.status).toBe(200);
    expect(audit.body).toMatch(
      /admin@example\.com: verification sent \(<a href="\/admin\/users\/\d+">ann@example\.com<\/a>\)/,
    );
    expect(audit.body).toMatch(
      /admin@example\.com: delete \(<a href="\/admin\/users\/\d+">ann@example\.com<\/a>\)/,
    );
    const entries = jsonOf<{ audit: { action: string }[] }>(
      await client.getJson("/admin/audit"),
    ).audit;
    expect(entries.map((entry) => entry.action)).toEqual([
      "delete",
      "verification sent",
      "promote",
    ]);
  });
});
