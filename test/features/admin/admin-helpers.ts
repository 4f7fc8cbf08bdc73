import type pg from "pg";
import { expect } from "vitest";
import { runCommand } from "../../../app/features/admin/commands.js";
import { logIn, makeUser } from "../../helpers/auth.js";
import type { HttpClient } from "../../helpers/http-client.js";

/** Promotes the user as `npm run users -- promote` does (the same code, on the test's pool). */
export async function promote(pool: pg.Pool, email: string): Promise<void> {
  const result = await runCommand(pool, ["promote", email]);
  expect(result.ok, result.lines.join("\n")).toBe(true);
}

/** A new administrator, logged in (so in sudo mode for the next 10 minutes of the app's clock). */
export async function adminClient(
  app: { pool: pg.Pool; client(): HttpClient },
  email = "admin@example.com",
): Promise<{ client: HttpClient; admin: { id: string; email: string } }> {
  const admin = await makeUser(app.pool, email);
  await promote(app.pool, email);
  const client = app.client();
  await logIn(client, email);
  return { client, admin };
}

/** Opens the user's admin page (for its CSRF token) and presses the button posting to `action`. */
export async function press(client: HttpClient, userId: string, action: string) {
  const page = await client.get(`/admin/users/${userId}`);
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return client.post(`/admin/users/${userId}/${action}`, {});
}

/** Every action a user's page posts to. */
export const USER_ACTIONS = [
  "lock",
  "unlock",
  "sign-out",
  "two-factor/disable",
  "verification",
  "delete",
  "impersonate",
  "sessions/revoke",
] as const;
