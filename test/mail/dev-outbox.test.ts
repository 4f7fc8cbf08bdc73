import { expect, test } from "vitest";
import { renderMail } from "../../app/mail/message.js";
import { startTestApp } from "../helpers/app.js";
import { PASSWORD } from "../helpers/auth.js";
import type { HttpClient } from "../helpers/http-client.js";
import { startTestSmtp } from "../helpers/mail.js";

async function signUp(client: HttpClient, email: string) {
  await client.get("/register");
  expect((await client.post("/register", { email, password: PASSWORD })).status).toBe(303);
}

const hrefs = (body: string) => [...body.matchAll(/href="([^"]*)"/g)].map((m) => m[1] as string);

test("without SMTP_URL: mails land in the outbox at /dev/mail, newest first, readable, links clickable and logged at info", async () => {
  const app = await startTestApp();
  await signUp(app.client(), "ann@example.com");
  await signUp(app.client(), "bob@example.com");
  await app.mailer.idle();

  const list = await app.client().get("/dev/mail");
  expect(list.status).toBe(200);
  expect(list.body.indexOf("bob@example.com")).toBeLessThan(list.body.indexOf("ann@example.com"));
  expect(list.body.indexOf("bob@example.com")).toBeGreaterThan(-1);
  const mailPages = hrefs(list.body).filter((href) => /^\/dev\/mail\/\d+$/.test(href));
  expect(mailPages).toHaveLength(2);

  const page = await app.client().get(mailPages[0] as string);
  expect(page.status).toBe(200);
  expect(page.body).toContain("Confirm your email address");
  expect(page.body).toContain('data-testid="mail-to">bob@example.com<');
  const link = hrefs(page.body).find((href) => href.includes("/email/verify/")) as string;
  expect(link.startsWith(`${app.config.appUrl}/email/verify/`)).toBe(true);
  // The HTML part is shown as escaped source, never rendered.
  expect(page.body).toContain("&lt;a href=");
  expect(page.body).not.toMatch(/<a href="[^"]*" style=/);

  const logged = app.logs
    .entries()
    .filter((entry) => entry.level === 30 && Array.isArray(entry.links))
    .flatMap((entry) => entry.links as string[]);
  expect(logged).toContain(link);

  // The link works from there.
  const opened = await app.client().get(new URL(link).pathname);
  expect(opened.status).toBe(200);
  expect(opened.body).toContain("Your email address is verified.");
  // Looking at the outbox writes no session: Ann's is the only one left (Bob's ended when his
  // address was proven for the first time, from a browser not logged in to his account).
  const { rows } = await app.pool.query("select count(*)::int as n from session");
  expect(rows[0].n).toBe(1);

  expect((await app.client().get("/dev/mail/999")).status).toBe(404);
  expect((await app.client().get("/dev/mail/x")).status).toBe(404);
});

test("in production /dev/mail is a 404, outbox or not", async () => {
  const smtp = await startTestSmtp();
  const app = await startTestApp({ env: { NODE_ENV: "production", SMTP_URL: smtp.url } });
  expect((await app.client().get("/dev/mail")).status).toBe(404);
  expect((await app.client().get("/dev/mail/1")).status).toBe(404);
});

test("with an SMTP server in development there is no outbox either", async () => {
  const smtp = await startTestSmtp();
  const app = await startTestApp({ env: { SMTP_URL: smtp.url } });
  expect((await app.client().get("/dev/mail")).status).toBe(404);
});

test("a mail's HTML part escapes what it holds, has no remote images, and carries the link as text", () => {
  const mail = renderMail(
    {
      subject: "<b>hi</b>",
      paragraphs: ['Address: <img src="https://evil.example/x.png">"ann"@example.com'],
      action: { label: "Go <now>", url: "https://app.example/a?b=1&c=<2>" },
    },
    '<b>&"Acme',
  );
  expect(mail.html).toContain("— &lt;b&gt;&amp;&quot;Acme");
  expect(mail.html).not.toContain('<b>&"Acme');
  expect(mail.html).not.toContain("<img");
  expect(mail.html).toContain("&lt;img src=&quot;https://evil.example/x.png&quot;&gt;");
  expect(mail.html).toContain("Go &lt;now&gt;");
  expect(mail.html).toContain("https://app.example/a?b=1&amp;c=&lt;2&gt;");
  expect(mail.text).toContain("Go <now>: https://app.example/a?b=1&c=<2>");
});
