import type pg from "pg";
import { expect } from "vitest";
import { hashPassword } from "../../app/auth/passwords.js";
import { createUser } from "../../app/auth/users.js";
import { hashStoreKey } from "../../app/session/index.js";
import type { HttpClient, Reply } from "./http-client.js";

export const PASSWORD = "correct horse battery staple";

/** An account made straight in the database (one real argon2 hash), without a session. */
export async function makeUser(
  pool: pg.Pool,
  email: string,
  password = PASSWORD,
): Promise<{ id: string; email: string }> {
  const created = await createUser(pool, email, await hashPassword(password));
  if (created === "taken") throw new Error(`${email} already has an account`);
  return { id: created.id, email: created.email };
}

export interface LogInOptions {
  remember?: boolean;
  /** Sent as the hidden `next` field (as the login page does when it got ?next=). */
  next?: string;
  password?: string;
}

/** What a person does: open the login page, fill it in, submit. Returns the POST's reply. */
export async function submitLogin(
  client: HttpClient,
  email: string,
  options: LogInOptions = {},
): Promise<Reply> {
  const page = await client.get("/login");
  expect(page.status).toBe(200);
  const form: Record<string, string> = { email, password: options.password ?? PASSWORD };
  if (options.remember) form.remember = "on";
  if (options.next !== undefined) form.next = options.next;
  return client.post("/login", form);
}

/** Logs in and checks it worked (303 to /account unless `next`). */
export async function logIn(
  client: HttpClient,
  email: string,
  options: LogInOptions = {},
): Promise<Reply> {
  const reply = await submitLogin(client, email, options);
  expect(reply.status, reply.body).toBe(303);
  return reply;
}

/** A new client logged in as a new user: the common start of account stories. */
export async function loggedInClient(
  app: { pool: pg.Pool; client(headers?: Record<string, string>): HttpClient },
  email: string,
  options: LogInOptions & { headers?: Record<string, string> } = {},
): Promise<{ client: HttpClient; user: { id: string; email: string } }> {
  const user = await makeUser(app.pool, email, options.password);
  const client = app.client(options.headers);
  await logIn(client, email, options);
  return { client, user };
}

/** The session ID inside a cookie value as sent (`s%3A<id>.<signature>`). */
export function sessionIdFromCookie(value: string): string {
  const decoded = decodeURIComponent(value);
  if (!decoded.startsWith("s:")) throw new Error(`not a signed session cookie: ${decoded}`);
  return decoded.slice(2, decoded.lastIndexOf("."));
}

/** The session ID in the client's session cookie, or undefined without one. */
export function sessionIdOf(client: HttpClient, cookieName = "sid"): string | undefined {
  const value = client.cookies.get(cookieName);
  return value === undefined ? undefined : sessionIdFromCookie(value);
}

export interface SessionRow {
  sess: {
    passport?: { user?: string };
    cookie?: { expires?: string | null; originalMaxAge?: number | null; createdAt?: number };
    counter?: number;
    [key: string]: unknown;
  };
  /** Seconds from now until the row's `expire` (computed in the database, time-zone safe). */
  expiresIn: number;
}

/** The store row of a session ID (the table holds SHA-256 of the ID), or undefined. */
export async function sessionRow(
  pool: pg.Pool,
  sessionId: string,
): Promise<SessionRow | undefined> {
  const { rows } = await pool.query<{ sess: SessionRow["sess"]; expires_in: string }>(
    `select sess, extract(epoch from (expire - localtimestamp)) as expires_in
       from session where sid = $1`,
    [hashStoreKey(sessionId)],
  );
  const row = rows[0];
  return row && { sess: row.sess, expiresIn: Number(row.expires_in) };
}

export async function countSessionRows(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from session");
  return rows[0]?.n ?? 0;
}

/** The Set-Cookie line for one cookie name in a reply. */
export function setCookieFor(reply: Reply, name: string): string | undefined {
  return reply.setCookies.find((line) => line.startsWith(`${name}=`));
}

/** The address the account page says this browser is logged in as; undefined when it is not. */
export async function accountOf(client: HttpClient): Promise<string | undefined> {
  return /Logged in as <strong>([^<]+)<\/strong>/.exec((await client.get("/account")).body)?.[1];
}
