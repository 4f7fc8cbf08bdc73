import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { expect, test } from "vitest";
import { startTestApp, type TestApp } from "../../helpers/app.js";
import { loggedInClient, sessionIdOf, setCookieFor, submitLogin } from "../../helpers/auth.js";
import { jsonOf } from "../../helpers/http-client.js";
import {
  optionsFrom,
  passkeyToken,
  registerPasskey,
  signInOptions,
  signInWithPasskey,
} from "../../helpers/passkeys.js";
import { SoftAuthenticator } from "../../helpers/soft-authenticator.js";
import { enableTwoFactor, testClock } from "../../helpers/totp.js";

const FIVE_MINUTES = 5 * 60_000;
const ELEVEN_MINUTES = 11 * 60_000;

/** A user logged in on `client`, with one passkey on `authenticator`, then logged out. */
const CHROME_ON_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";

async function userWithPasskey(app: TestApp, email: string) {
  const { client, user } = await loggedInClient(app, email, {
    headers: { "user-agent": CHROME_ON_LINUX },
  });
  const authenticator = new SoftAuthenticator(app.url);
  const added = await registerPasskey(client, authenticator);
  expect(added.status, added.body).toBe(201);
  await client.get("/account");
  expect((await client.post("/logout")).status).toBe(303);
  return { client, user, authenticator };
}

async function activityKinds(app: TestApp, userId: string) {
  const { rows } = await app.pool.query<{ kind: string; method: string | null }>(
    "select kind, method from security_events where user_id = $1 order by id",
    [userId],
  );
  return rows.map((row) => (row.method ? `${row.kind}:${row.method}` : row.kind));
}

test("add a passkey, log out, sign in with it: a new session, logged in, recorded", async () => {
  const app = await startTestApp();
  const { client, user, authenticator } = await userWithPasskey(app, "pat@example.com");

  const { rows } = await app.pool.query(
    "select name, device_type, backed_up, counter, last_used_at from passkeys where user_id = $1",
    [user.id],
  );
  expect(rows).toEqual([
    {
      name: "Chrome on Linux",
      device_type: "multiDevice",
      backed_up: true,
      counter: "0",
      last_used_at: null,
    },
  ]);

  // The challenge is kept in a session of its own; signing in replaces it with a new ID.
  const { token, options } = await signInOptions(client);
  const challengeSession = sessionIdOf(client);
  expect(challengeSession).toBeDefined();
  const reply = await client.postJson(
    "/login/passkey",
    { credential: authenticator.get(options) },
    token,
  );
  expect(reply.status, reply.body).toBe(200);
  expect(jsonOf(reply)).toEqual({ user: { id: user.id, email: user.email }, next: "/account" });
  expect(sessionIdOf(client)).not.toBe(challengeSession);
  const account = await client.get("/account");
  expect(account.status).toBe(200);
  expect(account.body).toContain("pat@example.com");

  const used = await app.pool.query("select last_used_at from passkeys where user_id = $1", [
    user.id,
  ]);
  expect(used.rows[0].last_used_at).toBeInstanceOf(Date);
  expect(await activityKinds(app, user.id)).toEqual([
    "sign_in:password",
    "passkey_added",
    "sign_out",
    "sign_in:passkey",
  ]);
});

test("'remember me' is honoured: a lasting cookie only when ticked", async () => {
  const app = await startTestApp();
  const { authenticator } = await userWithPasskey(app, "rem@example.com");

  const forgetful = app.client();
  const once = await signInWithPasskey(forgetful, authenticator);
  expect(once.status, once.body).toBe(200);
  expect(setCookieFor(once, "sid")).not.toMatch(/Expires=|Max-Age=/i);

  const remembering = app.client();
  const lasting = await signInWithPasskey(remembering, authenticator, { remember: true });
  expect(lasting.status, lasting.body).toBe(200);
  expect(setCookieFor(lasting, "sid")).toMatch(/Expires=/i);
});

test("after a passkey sign-in: back to ?next= when it is a path here, else the account page", async () => {
  const app = await startTestApp();
  const { authenticator } = await userWithPasskey(app, "next@example.com");
  const back = await signInWithPasskey(app.client(), authenticator, { next: "/account/security" });
  expect(jsonOf<{ next: string }>(back).next).toBe("/account/security");
  const away = await signInWithPasskey(app.client(), authenticator, { next: "//evil.example/x" });
  expect(jsonOf<{ next: string }>(away).next).toBe("/account");
});

test("challenges for visitors who are not logged in are limited per address (each makes a session)", async () => {
  const app = await startTestApp({ loginLimits: { passkeySignInsPerIp: 2 } });
  const client = app.client();
  const page = await client.get("/login");
  const token = passkeyToken(page.body);
  expect((await client.postJson("/login/passkey/options", {}, token)).status).toBe(200);
  expect((await app.client().postJson("/login/passkey/options", {}, token)).status).toBe(403);
  expect((await client.postJson("/login/passkey/options", {}, token)).status).toBe(200);
  const over = await client.postJson("/login/passkey/options", {}, token);
  expect(over.status).toBe(429);
  expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
  const rows = await app.pool.query("select 1 from session");
  expect(rows.rowCount).toBe(1);
});

test("a replayed answer is refused: the challenge is single-use, even for two requests at once", async () => {
  const app = await startTestApp();
  const { client, authenticator } = await userWithPasskey(app, "rep@example.com");

  const { token, options } = await signInOptions(client);
  const answer = { credential: authenticator.get(options) };
  const cookie = client.cookieHeader();
  const first = await client.postJson("/login/passkey", answer, token);
  expect(first.status, first.body).toBe(200);
  // The same answer again, from the session that held the challenge (an attacker who copied
  // both): refused.
  const replayer = app.client();
  for (const pair of cookie.split("; ")) {
    const [name = "", value = ""] = pair.split("=");
    replayer.cookies.set(name, value);
  }
  const again = await replayer.postJson("/login/passkey", answer, token);
  expect(again.status).toBe(400);
  expect(jsonOf<{ error: string }>(again).error).toBe("challenge");

  // Ten copies of one answer sent at once: one signs in.
  const racer = app.client();
  const race = await signInOptions(racer);
  const copy = { credential: authenticator.get(race.options) };
  const replies = await Promise.all(
    Array.from({ length: 10 }, () => {
      const twin = app.client();
      for (const [name, value] of racer.cookies) twin.cookies.set(name, value);
      return twin.postJson("/login/passkey", copy, race.token);
    }),
  );
  expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
  expect(replies.filter((r) => r.status !== 200).every((r) => r.status === 400)).toBe(true);
});

test("an answer for another origin or another RP ID is refused, and its challenge is spent", async () => {
  const app = await startTestApp();
  const { client, authenticator } = await userWithPasskey(app, "phish@example.com");

  const wrongOrigin = await signInWithPasskey(client, authenticator, {
    origin: "https://evil.example",
  });
  expect(wrongOrigin.status).toBe(401);
  expect(jsonOf<{ error: string }>(wrongOrigin).error).toBe("not_verified");

  const wrongRp = await signInWithPasskey(client, authenticator, { rpId: "evil.example" });
  expect(wrongRp.status).toBe(401);

  // A phishing page's answer cannot be mended and sent again for the same challenge.
  const { token, options } = await signInOptions(client);
  const bad = await client.postJson(
    "/login/passkey",
    { credential: authenticator.get(options, { origin: "https://evil.example" }) },
    token,
  );
  expect(bad.status).toBe(401);
  const mended = await client.postJson(
    "/login/passkey",
    { credential: authenticator.get(options) },
    token,
  );
  expect(mended.status).toBe(400);
  expect((await client.get("/account")).status).toBe(303);
});

test("registration: another origin, another RP ID, or a replayed answer stores nothing", async () => {
  const app = await startTestApp();
  const { client, user } = await loggedInClient(app, "reg@example.com");
  const authenticator = new SoftAuthenticator(app.url);
  expect(
    (await registerPasskey(client, authenticator, { origin: "https://evil.example" })).status,
  ).toBe(401);
  expect((await registerPasskey(client, authenticator, { rpId: "evil.example" })).status).toBe(401);

  const page = await client.get("/account/security");
  const token = passkeyToken(page.body);
  const options = await optionsFrom<PublicKeyCredentialCreationOptionsJSON>(
    client,
    "/account/passkeys/options",
    token,
  );
  const answer = { credential: authenticator.create(options) };
  expect((await client.postJson("/account/passkeys", answer, token)).status).toBe(201);
  const replay = await client.postJson("/account/passkeys", answer, token);
  expect(replay.status).toBe(400);
  const stored = await app.pool.query("select 1 from passkeys where user_id = $1", [user.id]);
  expect(stored.rowCount).toBe(1);
});

test("two tabs each asking for a challenge both work; a session keeps only the last three", async () => {
  const app = await startTestApp();
  const { client, authenticator } = await userWithPasskey(app, "tabs@example.com");
  const first = await signInOptions(client);
  const second = await optionsFrom<PublicKeyCredentialRequestOptionsJSON>(
    client,
    "/login/passkey/options",
    first.token,
  );
  // The first tab answers after the second asked: still its own challenge.
  const tab = app.client();
  for (const [name, value] of client.cookies) tab.cookies.set(name, value);
  const signedIn = await tab.postJson(
    "/login/passkey",
    { credential: authenticator.get(first.options) },
    first.token,
  );
  expect(signedIn.status, signedIn.body).toBe(200);
  expect(second.challenge).not.toBe(first.options.challenge);

  // Four asked in one session: the oldest is dropped, the newest three remain.
  const browser = app.client();
  const oldest = await signInOptions(browser);
  const newer = [];
  for (let i = 0; i < 3; i++) {
    newer.push(
      await optionsFrom<PublicKeyCredentialRequestOptionsJSON>(
        browser,
        "/login/passkey/options",
        oldest.token,
      ),
    );
  }
  const dropped = await browser.postJson(
    "/login/passkey",
    { credential: authenticator.get(oldest.options) },
    oldest.token,
  );
  expect(dropped.status).toBe(400);
  const kept = await browser.postJson(
    "/login/passkey",
    { credential: authenticator.get(newer[0] as PublicKeyCredentialRequestOptionsJSON) },
    oldest.token,
  );
  expect(kept.status, kept.body).toBe(200);
});

test("a passkey that names another account (its user handle) is refused, though its signature is good", async () => {
  const app = await startTestApp();
  const { authenticator } = await userWithPasskey(app, "handle@example.com");
  const other = await userWithPasskey(app, "someone@example.com");
  const credential = authenticator.credentials[0];
  const theirs = other.authenticator.credentials[0];
  if (!credential || !theirs) throw new Error("no credential");
  // The user handle is not covered by the signature: an authenticator (or a script) may say
  // anything there. It must be the account the credential is stored for.
  credential.userHandle = theirs.userHandle;
  const reply = await signInWithPasskey(app.client(), authenticator);
  expect(reply.status).toBe(401);
  const signedIn = await app.pool.query(
    "select 1 from security_events where kind = 'sign_in' and method = 'passkey'",
  );
  expect(signedIn.rowCount).toBe(0);
});

test("a challenge older than 5 minutes is refused; a fresh one works", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, authenticator } = await userWithPasskey(app, "late@example.com");

  const { token, options } = await signInOptions(client);
  clock.advance(FIVE_MINUTES + 1000);
  const late = await client.postJson(
    "/login/passkey",
    { credential: authenticator.get(options) },
    token,
  );
  expect(late.status).toBe(400);
  expect(jsonOf<{ message: string }>(late).message).toMatch(/expired/);
  const fresh = await signInWithPasskey(client, authenticator);
  expect(fresh.status, fresh.body).toBe(200);
});

test("a challenge answered without user verification is refused (UV is required)", async () => {
  const app = await startTestApp();
  const { client, authenticator } = await userWithPasskey(app, "uv@example.com");
  const reply = await signInWithPasskey(client, authenticator, { userVerified: false });
  expect(reply.status).toBe(401);

  const other = await loggedInClient(app, "uv2@example.com");
  const added = await registerPasskey(other.client, new SoftAuthenticator(app.url), {
    userVerified: false,
  });
  expect(added.status).toBe(401);
});

test("the signature counter must grow; a passkey that changes its backup eligibility is refused", async () => {
  const app = await startTestApp();
  const { client, user } = await loggedInClient(app, "count@example.com");
  const authenticator = new SoftAuthenticator(app.url, { backupEligible: false, countUses: true });
  expect((await registerPasskey(client, authenticator)).status).toBe(201);
  const credential = authenticator.credentials[0];
  if (!credential) throw new Error("no credential");

  expect((await signInWithPasskey(app.client(), authenticator)).status).toBe(200);
  expect((await signInWithPasskey(app.client(), authenticator)).status).toBe(200);
  const stored = await app.pool.query("select counter from passkeys where user_id = $1", [user.id]);
  expect(stored.rows[0].counter).toBe("2");

  // A clone of the key that still counts from 1: refused.
  credential.counter = 0;
  expect((await signInWithPasskey(app.client(), authenticator)).status).toBe(401);
  credential.counter = 5;
  expect(
    (await signInWithPasskey(app.client(), authenticator, { backupEligible: true })).status,
  ).toBe(401);
  expect((await signInWithPasskey(app.client(), authenticator)).status).toBe(200);
});

test("clones of one passkey answering at once with the same counter: one signs in", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "clone@example.com");
  const authenticator = new SoftAuthenticator(app.url, { backupEligible: false, countUses: true });
  expect((await registerPasskey(client, authenticator)).status).toBe(201);
  const credential = authenticator.credentials[0];
  if (!credential) throw new Error("no credential");

  // Ten browsers, each with its own challenge, each answered by a copy of the key that says
  // "use number 1": they are checked against the same stored counter at the same moment.
  const browsers = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const browser = app.client();
      const { token, options } = await signInOptions(browser);
      credential.counter = 0;
      return { browser, token, credential: authenticator.get(options) };
    }),
  );
  const replies = await Promise.all(
    browsers.map(({ browser, token, credential }) =>
      browser.postJson("/login/passkey", { credential }, token),
    ),
  );
  expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
});

test("as the second factor: only the pending user's own passkey completes the login", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, user } = await loggedInClient(app, "two@example.com");
  await enableTwoFactor(client, clock);
  const own = new SoftAuthenticator(app.url);
  expect((await registerPasskey(client, own)).status).toBe(201);
  const mallory = await loggedInClient(app, "mallory@example.com");
  const theirs = new SoftAuthenticator(app.url);
  expect((await registerPasskey(mallory.client, theirs)).status).toBe(201);

  const browser = app.client();
  const step = await submitLogin(browser, "two@example.com");
  expect(step.location).toBe("/login/two-factor");
  const form = await browser.get("/login/two-factor");
  expect(form.body).toContain("Use a passkey");
  const token = passkeyToken(form.body);
  const options = await optionsFrom<PublicKeyCredentialRequestOptionsJSON>(
    browser,
    "/login/two-factor/passkey/options",
    token,
  );
  // The options name only the pending user's passkeys.
  expect(options.allowCredentials?.map((c) => c.id)).toEqual([own.credentials[0]?.id]);

  const wrong = await browser.postJson(
    "/login/two-factor/passkey",
    { credential: theirs.get(options) },
    token,
  );
  expect(wrong.status).toBe(401);
  expect((await browser.get("/account")).status).toBe(303);

  const again = await optionsFrom<PublicKeyCredentialRequestOptionsJSON>(
    browser,
    "/login/two-factor/passkey/options",
    token,
  );
  const right = await browser.postJson(
    "/login/two-factor/passkey",
    { credential: own.get(again) },
    token,
  );
  expect(right.status, right.body).toBe(200);
  expect((await browser.get("/account")).status).toBe(200);
  expect((await activityKinds(app, user.id)).at(-1)).toBe("sign_in:password+2fa");
});

test("a passkey sign-in needs no code even with two-factor on (it is both factors)", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client } = await loggedInClient(app, "both@example.com");
  await enableTwoFactor(client, clock);
  const authenticator = new SoftAuthenticator(app.url);
  expect((await registerPasskey(client, authenticator)).status).toBe(201);
  const browser = app.client();
  expect((await signInWithPasskey(browser, authenticator)).status).toBe(200);
  expect((await browser.get("/account")).status).toBe(200);
});

test("adding a passkey needs sudo mode; a sign-in challenge cannot register one", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client, user } = await loggedInClient(app, "sudo@example.com");
  const authenticator = new SoftAuthenticator(app.url);

  const page = await client.get("/account/security");
  const token = passkeyToken(page.body);
  const signIn = await optionsFrom<PublicKeyCredentialRequestOptionsJSON>(
    client,
    "/account/confirm/passkey/options",
    token,
  );
  // A registration built on a challenge issued for something else.
  const forged = await client.postJson(
    "/account/passkeys",
    {
      credential: authenticator.create(
        {
          challenge: signIn.challenge,
          rp: { id: "127.0.0.1", name: "x" },
          user: { id: "AAAA", name: "x", displayName: "x" },
          pubKeyCredParams: [],
        },
        {},
      ),
    },
    token,
  );
  expect(forged.status).toBe(400);

  clock.advance(ELEVEN_MINUTES);
  const late = await client.postJson("/account/passkeys/options", {}, token);
  expect(late.status).toBe(403);
  expect(jsonOf(late)).toEqual({
    error: "reauthentication_required",
    message: "Confirm it's you first.",
    confirm: "/account/confirm?next=%2Faccount%2Fsecurity",
  });
  const count = await app.pool.query("select 1 from passkeys where user_id = $1", [user.id]);
  expect(count.rowCount).toBe(0);
});

test("the same passkey cannot be registered twice, and registration excludes the ones you have", async () => {
  const app = await startTestApp();
  const { client } = await loggedInClient(app, "twice@example.com");
  const authenticator = new SoftAuthenticator(app.url);
  const first = await registerPasskey(client, authenticator);
  expect(first.status).toBe(201);

  const page = await client.get("/account/security");
  const token = passkeyToken(page.body);
  const options = await optionsFrom<{ excludeCredentials?: Array<{ id: string }> }>(
    client,
    "/account/passkeys/options",
    token,
  );
  expect(options.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.credentials[0]?.id]);
});

test("Remove: the passkey no longer signs in; the last way to sign in cannot be removed", async () => {
  const app = await startTestApp();
  const { client, user } = await loggedInClient(app, "rm@example.com");
  const a = new SoftAuthenticator(app.url);
  const b = new SoftAuthenticator(app.url);
  expect((await registerPasskey(client, a)).status).toBe(201);
  expect((await registerPasskey(client, b)).status).toBe(201);
  const ids = (
    await app.pool.query<{ id: string }>(
      "select id::text from passkeys where user_id = $1 order by id",
      [user.id],
    )
  ).rows.map((row) => row.id);

  // An account whose only ways in are its two passkeys (as an account made by a provider
  // sign-in that added passkeys and unlinked the provider).
  await app.pool.query("update users set password_hash = null where id = $1", [user.id]);

  // Both removed at once (two tabs): one goes, the other is refused.
  await client.get("/account/security");
  const replies = await Promise.all(
    ids.map((id) =>
      client.post(`/account/passkeys/${id}/delete`, {}, { accept: "application/json" }),
    ),
  );
  expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
  const refused = replies.find((r) => r.status === 409);
  if (!refused) throw new Error("no refusal");
  expect(jsonOf<{ message: string }>(refused).message).toMatch(/only way to sign in/);
  const left = await app.pool.query("select 1 from passkeys where user_id = $1", [user.id]);
  expect(left.rowCount).toBe(1);

  const removed = replies[0]?.status === 200 ? a : b;
  const kept = removed === a ? b : a;
  const gone = await signInWithPasskey(app.client(), removed);
  expect(gone.status).toBe(401);
  expect(jsonOf<{ error: string }>(gone).error).toBe("unknown_passkey");
  expect((await signInWithPasskey(app.client(), kept)).status).toBe(200);

  // On the page: the refusal says why.
  await client.get("/account/security");
  const last = await client.post(
    `/account/passkeys/${ids[replies[0]?.status === 200 ? 1 : 0]}/delete`,
  );
  expect(last.status).toBe(303);
  const page = await client.get("/account/security");
  expect(page.body).toContain("only way to sign in");
  expect(await activityKinds(app, user.id)).toContain("passkey_removed");
});

test("names: editable, escaped on the page, one line; someone else's passkey cannot be touched", async () => {
  const app = await startTestApp();
  const { client, user } = await loggedInClient(app, "name@example.com");
  expect((await registerPasskey(client, new SoftAuthenticator(app.url))).status).toBe(201);
  const id = (
    await app.pool.query<{ id: string }>("select id::text from passkeys where user_id = $1", [
      user.id,
    ])
  ).rows[0]?.id;

  await client.get("/account/security");
  const renamed = await client.post(`/account/passkeys/${id}/name`, {
    name: '  <img src=x onerror="alert(1)">  ',
  });
  expect(renamed.status).toBe(303);
  const page = await client.get("/account/security");
  expect(page.body).not.toContain("<img src=x");
  expect(page.body).toContain('value="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"');

  const token = client.csrfToken() ?? "";
  for (const bad of ["", "   ", "two\nlines", "x".repeat(65), "zero\u200bwidth"]) {
    const reply = await client.post(
      `/account/passkeys/${id}/name`,
      { name: bad, _csrf: token },
      { accept: "application/json" },
    );
    expect(reply.status, JSON.stringify(bad)).toBe(400);
  }

  const other = await loggedInClient(app, "other@example.com");
  await other.client.get("/account/security");
  const otherToken = other.client.csrfToken() ?? "";
  const theirs = await other.client.post(
    `/account/passkeys/${id}/name`,
    { name: "mine now", _csrf: otherToken },
    { accept: "application/json" },
  );
  expect(theirs.status).toBe(404);
  const remove = await other.client.post(
    `/account/passkeys/${id}/delete`,
    { _csrf: otherToken },
    { accept: "application/json" },
  );
  expect(remove.status).toBe(404);
  const still = await app.pool.query("select name from passkeys where id = $1", [id]);
  expect(still.rows[0].name).toBe('<img src=x onerror="alert(1)">');
});

test("confirm it's you with a passkey: sudo mode on a new session ID; another user's passkey does not", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client } = await loggedInClient(app, "conf@example.com");
  const own = new SoftAuthenticator(app.url);
  expect((await registerPasskey(client, own)).status).toBe(201);
  const other = await loggedInClient(app, "conf2@example.com");
  const theirs = new SoftAuthenticator(app.url);
  expect((await registerPasskey(other.client, theirs)).status).toBe(201);

  clock.advance(ELEVEN_MINUTES);
  const page = await client.get("/account/confirm?next=/account/security");
  expect(page.body).toContain("Confirm with a passkey");
  const token = passkeyToken(page.body);
  const path = "/account/confirm/passkey/options";
  const wrong = await client.postJson(
    "/account/confirm/passkey",
    { credential: theirs.get(await optionsFrom(client, path, token)) },
    token,
  );
  expect(wrong.status).toBe(401);
  expect((await client.postJson("/account/passkeys/options", {}, token)).status).toBe(403);

  const before = sessionIdOf(client);
  const right = await client.postJson(
    "/account/confirm/passkey",
    { credential: own.get(await optionsFrom(client, path, token)), next: "/account/security" },
    token,
  );
  expect(right.status, right.body).toBe(200);
  expect(jsonOf(right)).toEqual({ confirmed: true, next: "/account/security" });
  expect(sessionIdOf(client)).not.toBe(before);
  const after = await client.get("/account/security");
  expect(
    (await client.postJson("/account/passkeys/options", {}, passkeyToken(after.body))).status,
  ).toBe(200);
});

test("one confirmation answer sent ten times at once renews the session once", async () => {
  const clock = testClock();
  const app = await startTestApp({ clock: clock.clock });
  const { client } = await loggedInClient(app, "twin@example.com");
  const authenticator = new SoftAuthenticator(app.url);
  expect((await registerPasskey(client, authenticator)).status).toBe(201);
  clock.advance(ELEVEN_MINUTES);
  const page = await client.get("/account/confirm?next=/account/security");
  const token = passkeyToken(page.body);
  const options = await optionsFrom<PublicKeyCredentialRequestOptionsJSON>(
    client,
    "/account/confirm/passkey/options",
    token,
  );
  const answer = { credential: authenticator.get(options) };
  const replies = await Promise.all(
    Array.from({ length: 10 }, () => {
      const twin = app.client();
      for (const [name, value] of client.cookies) twin.cookies.set(name, value);
      return twin.postJson("/account/confirm/passkey", answer, token);
    }),
  );
  expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
});

test("without the CSRF token, or with a malformed answer, nothing happens (403, 400; never 500)", async () => {
  const app = await startTestApp();
  const { client, authenticator } = await userWithPasskey(app, "csrf@example.com");
  const { token, options } = await signInOptions(client);
  expect((await client.postJson("/login/passkey/options", {}, null)).status).toBe(403);
  expect(
    (await client.postJson("/login/passkey", { credential: authenticator.get(options) }, null))
      .status,
  ).toBe(403);

  const good = authenticator.get(options);
  const malformed: unknown[] = [
    undefined,
    null,
    "x",
    [],
    { ...good, id: "not base64url!" },
    { ...good, response: { ...good.response, clientDataJSON: "e30" } },
    { ...good, response: { ...good.response, clientDataJSON: "bm90IGpzb24" } },
    { ...good, response: { ...good.response, signature: "AAAA" } },
    { ...good, response: { ...good.response, authenticatorData: "AAAA" } },
    { ...good, type: "password" },
    { ...good, id: "A".repeat(5000) },
  ];
  for (const credential of malformed) {
    const reply = await client.postJson("/login/passkey", { credential }, token);
    expect([400, 401], JSON.stringify(credential)?.slice(0, 80)).toContain(reply.status);
  }
  const logged = await app.pool.query(
    "select 1 from security_events where kind = 'sign_in' and method = 'passkey'",
  );
  expect(logged.rowCount).toBe(0);
});

test("the browser code is served from /static under the unchanged CSP", async () => {
  const app = await startTestApp();
  const client = app.client();
  const login = await client.get("/login");
  expect(login.body).toContain('autocomplete="username webauthn"');
  expect(login.body).toContain('<script src="/static/vendor/simplewebauthn-browser.js" defer>');
  expect(login.body).toContain('<script src="/static/passkeys.js" defer>');
  expect(login.headers.get("content-security-policy")).toContain("script-src 'self';");
  const bundle = await client.get("/static/vendor/simplewebauthn-browser.js");
  expect(bundle.status).toBe(200);
  expect(bundle.headers.get("content-type")).toMatch(/javascript/);
  expect(bundle.body).toContain("SimpleWebAuthnBrowser");
  const ours = await client.get("/static/passkeys.js");
  expect(ours.status).toBe(200);
  // Looking at the login page writes no session row; asking for a challenge does.
  const rows = await app.pool.query("select 1 from session");
  expect(rows.rowCount).toBe(0);
});
