import { Secret, TOTP } from "otpauth";
import { expect } from "vitest";
import type { Clock } from "../../app/clock.js";
import type { HttpClient } from "./http-client.js";

/** The 6-digit code an authenticator app would show for `secret` at `atMs` (RFC 6238, SHA-1). */
export function totpCode(secret: string, atMs: number): string {
  return new TOTP({
    secret: Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  }).generate({ timestamp: atMs });
}

export const STEP_MS = 30_000;

/** A clock the test moves by hand (given to startTestApp): codes and expiry without waiting. */
export interface TestClock {
  clock: Clock;
  now(): number;
  advance(ms: number): void;
}

/** Starts in the middle of the current 30-second step. */
export function testClock(startMs = Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS / 2) {
  let now = startMs;
  const clock: TestClock = {
    clock: () => now,
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
  return clock;
}

/** The base32 secret the setup page shows in its `data-totp-secret` element. */
export function shownSecret(body: string): string {
  const secret = /data-totp-secret="([A-Z2-7]+)"/.exec(body)?.[1];
  if (!secret) throw new Error(`no data-totp-secret in the page: ${body.slice(0, 300)}`);
  return secret;
}

/** The recovery codes a page lists (after setup, or "new recovery codes"). */
export function shownRecoveryCodes(body: string): string[] {
  return [...body.matchAll(/<li><code>([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})<\/code><\/li>/g)].map(
    (match) => match[1] as string,
  );
}

/**
 * What a person does on the security page: "Set up two-factor", scan, type the app's code.
 * Returns the secret and the ten recovery codes, and moves the clock to the next step (the
 * code just used is spent).
 */
export async function enableTwoFactor(
  client: HttpClient,
  clock: TestClock,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const page = await client.get("/account/two-factor/setup");
  expect(page.status, page.body).toBe(200);
  const secret = shownSecret(page.body);
  const done = await client.post("/account/two-factor/setup", {
    code: totpCode(secret, clock.now()),
  });
  expect(done.status, done.body).toBe(200);
  const recoveryCodes = shownRecoveryCodes(done.body);
  expect(recoveryCodes).toHaveLength(10);
  clock.advance(STEP_MS);
  return { secret, recoveryCodes };
}
