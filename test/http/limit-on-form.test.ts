import { expect, test } from "vitest";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient, makeUser } from "../helpers/auth.js";

/** A 429 on a form: the form again with the message beside its field, what was typed kept. */
const alertFor = (field: string, body: string) =>
  new RegExp(`<p class="error" id="${field}-error" role="alert">([^<]*)</p>`).exec(body)?.[1];

test("forgot password: past the limit, the form again with the address kept and the message beside it; 429, Retry-After; JSON unchanged", async () => {
  const app = await startTestApp({ loginLimits: { mailsPerAddress: 1, mailsPerAccount: 1 } });
  await makeUser(app.pool, "ann@example.com");
  const client = app.client();
  await client.get("/password/forgot");
  expect((await client.post("/password/forgot", { email: "ann@example.com" })).status).toBe(200);
  await client.get("/password/forgot");
  const limited = await client.post("/password/forgot", { email: "ann@example.com" });
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(alertFor("email", limited.body)).toMatch(/^Too many reset requests\. Try again in/);
  expect(limited.body).toMatch(/id="email" name="email" type="email" value="ann@example.com"/);
  expect(limited.body).toContain("<h1>Forgot your password?</h1>");

  const { csrfToken } = JSON.parse((await client.getJson("/password/forgot")).body);
  const json = await client.postJson("/password/forgot", { email: "ann@example.com" }, csrfToken);
  expect(json.status).toBe(429);
  expect(JSON.parse(json.body)).toMatchObject({ error: "too_many_attempts" });
  expect(JSON.parse(json.body).errors).toBeUndefined();
});

test("change password: past the limit on current-password checks, the security page with the message beside that field; 429", async () => {
  const app = await startTestApp({ loginLimits: { currentPasswordPerUser: 1 } });
  const { client } = await loggedInClient(app, "bo@example.com");
  await client.get("/account/security");
  const wrong = {
    current_password: "not the password at all",
    new_password: "a brand new long passphrase",
  };
  expect((await client.post("/account/password", wrong)).status).toBe(400);
  await client.get("/account/security");
  const limited = await client.post("/account/password", wrong);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(alertFor("current_password", limited.body)).toMatch(/^Too many password attempts/);
  expect(limited.body).toContain("<h1>Security</h1>");
  // The field in error takes the focus; no other field does.
  expect(limited.body.match(/ autofocus/g)).toHaveLength(1);
  expect(limited.body).toMatch(/id="current_password"[^>]* autofocus/);
});
