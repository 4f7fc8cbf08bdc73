import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import { expect } from "vitest";
import { type HttpClient, jsonOf, type Reply } from "./http-client.js";
import type { Ceremony, SoftAuthenticator } from "./soft-authenticator.js";

/**
 * What public/passkeys.js does, over HTTP: ask for options (the page's CSRF token in the
 * header), let the authenticator answer, send the answer. The browser tests do the same with
 * Chromium.
 */

/** The `data-csrf` of the page's first passkey button. */
export function passkeyToken(body: string): string {
  const token = /data-passkey="[^"]+"[^>]*data-csrf="([^"]*)"/s.exec(body)?.[1];
  if (token === undefined) throw new Error(`no passkey button in the page: ${body.slice(0, 300)}`);
  return token;
}

export async function optionsFrom<T>(client: HttpClient, path: string, token: string) {
  const reply = await client.postJson(path, {}, token);
  expect(reply.status, reply.body).toBe(200);
  return jsonOf<{ options: T }>(reply).options;
}

/** Opens `page` and asks for the options its passkey button would: the token and options. */
async function optionsOnPage<T>(client: HttpClient, page: string, path: string) {
  const reply = await client.get(page);
  expect(reply.status).toBe(200);
  const token = passkeyToken(reply.body);
  return { token, options: await optionsFrom<T>(client, path, token) };
}

/** "Add a passkey" on the security page: the reply to the new passkey (201 when stored). */
export async function registerPasskey(
  client: HttpClient,
  authenticator: SoftAuthenticator,
  ceremony: Ceremony = {},
): Promise<Reply> {
  const { token, options } = await optionsOnPage<PublicKeyCredentialCreationOptionsJSON>(
    client,
    "/account/security",
    "/account/passkeys/options",
  );
  return client.postJson(
    "/account/passkeys",
    { credential: authenticator.create(options, ceremony) },
    token,
  );
}

/** The login page's challenge, and the token its script sends. */
export function signInOptions(client: HttpClient) {
  return optionsOnPage<PublicKeyCredentialRequestOptionsJSON>(
    client,
    "/login",
    "/login/passkey/options",
  );
}

/** "Sign in with a passkey" on the login page: the reply to the answer. */
export async function signInWithPasskey(
  client: HttpClient,
  authenticator: SoftAuthenticator,
  ceremony: Ceremony & { remember?: boolean; next?: string } = {},
): Promise<Reply> {
  const { token, options } = await signInOptions(client);
  const { remember, next, ...rest } = ceremony;
  return client.postJson(
    "/login/passkey",
    { credential: authenticator.get(options, rest), remember, next },
    token,
  );
}
