import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import type { Feature } from "../../app/core/feature.js";
import { features } from "../../app/feature-list.js";
import { projectRoot } from "../../app/paths.js";
import { startTestApp } from "../helpers/app.js";
import { loggedInClient } from "../helpers/auth.js";
import { jsonOf } from "../helpers/http-client.js";

/**
 * README's "Add a feature" is run as written: its first code block becomes a feature module
 * (its `../../` imports pointed at app/), added to the app's list, and used as a person would.
 */
const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Add a feature"));
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
const scratch = join(projectRoot, "test", ".scratch", `add-a-feature-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("README's example feature works as the guide says: a private page and a panel", async () => {
  expect(code, "README has an 'Add a feature' section with a ts block").toBeDefined();
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, "index.ts");
  writeFileSync(file, (code as string).replaceAll('"../../', `"${join(projectRoot, "app")}/`));
  const { hello } = (await import(file)) as { hello: Feature };
  expect(hello.name).toBe("hello");

  const app = await startTestApp({ features: [...features, hello] });
  // Logged out: the guard declared with the route sends the visitor to log in.
  const away = await app.client().get("/account/hello");
  expect(away.status).toBe(303);
  expect(away.location).toBe("/login?next=%2Faccount%2Fhello");

  const { client } = await loggedInClient(app, "hello@example.com");
  expect((await client.get("/account")).body).toContain('<a href="/account/hello">Say hello</a>');
  const reply = await client.getJson("/account/hello");
  expect(jsonOf(reply)).toEqual({ hello: "hello@example.com" });
});
