import { expect, test } from "vitest";
import { DEFAULT_APP_NAME } from "../app/config.js";
import { startTestApp } from "./helpers/app.js";
import { logIn, makeUser, PASSWORD } from "./helpers/auth.js";
import { hasFeature } from "./helpers/features.js";
import { jsonOf } from "./helpers/http-client.js";
import { startTestSmtp } from "./helpers/mail.js";

/**
 * APP_NAME is the app's name wherever it shows: the pages, the mails, the authenticator app's
 * list (TOTP issuer), the browser's passkey prompt (RP name). It is the operator's to type, so
 * it is escaped like any value: this one would be markup, and a second address, if it were not.
 */
const NAME = '<b>&"Acme, Inc.';
const ESCAPED = "&lt;b&gt;&amp;&quot;Acme, Inc.";

test("the pages show APP_NAME, escaped, in the title and the brand", async () => {
  const app = await startTestApp({ env: { APP_NAME: NAME } });
  const home = await app.client().get("/");
  expect(home.body).toContain(`<title>Home · ${ESCAPED}</title>`);
  expect(home.body).toContain(`<a class="brand" href="/">${ESCAPED}</a>`);
  expect(home.body).not.toContain("<b>");
  expect(home.body).not.toContain(DEFAULT_APP_NAME);
});

test("the default name is Session starter", async () => {
  const app = await startTestApp();
  expect(app.config.appName).toBe("Session starter");
  expect((await app.client().get("/")).body).toContain(
    '<a class="brand" href="/">Session starter</a>',
  );
});

test("mails come from APP_NAME at the same address, signed with it, escaped in the HTML part", async () => {
  const smtp = await startTestSmtp();
  const app = await startTestApp({ env: { APP_NAME: NAME, SMTP_URL: smtp.url } });
  const browser = app.client();
  await browser.get("/register");
  await browser.post("/register", { email: "zoe@example.com", password: PASSWORD });
  const mail = await smtp.nextMailTo("zoe@example.com");
  // The quoted name cannot add an address or change this one.
  expect(mail.from).toBe("no-reply@localhost");
  expect(mail.fromName).toBe(NAME);
  expect(mail.text).toContain(`— ${NAME}`);
  expect(mail.html).toContain(ESCAPED);
  expect(mail.html).not.toContain("<b>");
});

test.skipIf(!hasFeature("two-factor") || !hasFeature("passkeys"))(
  "the authenticator app and the passkey prompt name the app APP_NAME",
  async () => {
    const app = await startTestApp({ env: { APP_NAME: NAME }, hostname: "localhost" });
    await makeUser(app.pool, "ann@example.com");
    const ann = app.client();
    await logIn(ann, "ann@example.com");

    const setup = await ann.getJson("/account/two-factor/setup");
    expect(setup.status).toBe(200);
    const uri = new URL(jsonOf<{ uri: string }>(setup).uri);
    expect(uri.searchParams.get("issuer")).toBe(NAME);
    expect(decodeURIComponent(uri.pathname)).toBe(`/${NAME}:ann@example.com`);

    await ann.get("/account/security");
    const options = await ann.postJson("/account/passkeys/options", {});
    expect(options.status).toBe(200);
    expect(jsonOf<{ options: { rp: { name: string } } }>(options).options.rp.name).toBe(NAME);
  },
);
