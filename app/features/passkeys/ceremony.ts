import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { decodeClientDataJSON, isoBase64URL } from "@simplewebauthn/server/helpers";
import type { Request } from "express";
import type pg from "pg";
import { z } from "zod";
import { claimSessionRow } from "../../account/sessions.js";
import { hashStoreKey } from "../../session/index.js";
import { CHALLENGE_MS, type ChallengePurpose, keepChallenge, takeChallenge } from "./challenges.js";
import type { RelyingParty } from "./relying-party.js";
import {
  findCredential,
  findUserHandle,
  listCredentials,
  type NewPasskey,
  recordUse,
  type StoredCredential,
  userHandle,
} from "./store.js";

/**
 * The two WebAuthn ceremonies on SimpleWebAuthn: options (a challenge kept in the session) and
 * the check of what the browser answered. User verification (PIN, fingerprint, face) is always
 * required, so a passkey is two factors in one.
 */
export interface CeremonyDeps {
  pool: pg.Pool;
  rp: RelyingParty;
  clock: () => number;
}

/** A refusal: the status, a code for scripts, and what to tell the person (a catalogue key). */
export interface Refusal {
  status: 400 | 401 | 409;
  error: string;
  message: string;
}

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/);
const optionalBase64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/);
const common = {
  id: base64url(1366),
  rawId: base64url(1366),
  type: z.literal("public-key"),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

const registrationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(8192),
    authenticatorData: optionalBase64url(4096).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: optionalBase64url(4096).optional(),
  }),
});

const authenticationSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(4096),
    // Room for post-quantum signatures: SimpleWebAuthn offers ML-DSA-44 first where the runtime
    // has it (Node.js 24), and an ML-DSA signature is 2420 to 4627 bytes (6170 characters here).
    signature: base64url(8192),
    userHandle: optionalBase64url(1024).optional(),
  }),
});

const TRANSPORTS = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);
type Transport = "ble" | "cable" | "hybrid" | "internal" | "nfc" | "smart-card" | "usb";
const knownTransports = (list: string[] | undefined): Transport[] =>
  (list ?? []).filter((t): t is Transport => TRANSPORTS.has(t));

const malformed: Refusal = {
  status: 400,
  error: "malformed",
  message: "passkeys.errors.malformed",
};
const staleChallenge: Refusal = {
  status: 400,
  error: "challenge",
  message: "passkeys.errors.challenge",
};
const unknownPasskey: Refusal = {
  status: 401,
  error: "unknown_passkey",
  message: "passkeys.errors.unknown",
};
const notVerified: Refusal = {
  status: 401,
  error: "not_verified",
  message: "passkeys.errors.notVerified",
};

/** The challenge the browser signed, or undefined when clientDataJSON is not readable. */
function signedChallenge(clientDataJSON: string): string | undefined {
  try {
    const challenge: unknown = decodeClientDataJSON(clientDataJSON).challenge;
    return typeof challenge === "string" ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The challenge the browser signed, taken out of the session (see challenges.ts), or why not:
 * unreadable, or not one this session has for `purpose` (and `userId`).
 */
function takeSignedChallenge(
  req: Request,
  purpose: ChallengePurpose,
  clientDataJSON: string,
  nowMs: number,
  userId: string | undefined,
): { challenge: string } | Refusal {
  const challenge = signedChallenge(clientDataJSON);
  if (challenge === undefined) return malformed;
  return takeChallenge(req, purpose, challenge, nowMs, userId) ? { challenge } : staleChallenge;
}

const TIMEOUT_MS = CHALLENGE_MS;

/** Options to make a passkey for the logged-in user (their passkeys are excluded). */
export async function registrationOptions(
  deps: CeremonyDeps,
  req: Request,
  user: Express.User,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const handle = await userHandle(deps.pool, user.id);
  const existing = await listCredentials(deps.pool, user.id);
  const options = await generateRegistrationOptions({
    rpName: deps.rp.name,
    rpID: deps.rp.id,
    userName: user.email,
    userDisplayName: user.email,
    userID: isoBase64URL.toBuffer(handle),
    timeout: TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.map((c) => ({
      id: c.credentialId,
      transports: knownTransports(c.transports),
    })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
  keepChallenge(req, "register", options.challenge, deps.clock(), user.id);
  return options;
}

/** Checks a new passkey for the logged-in user: what to store, or why not. */
export async function verifyRegistration(
  deps: CeremonyDeps,
  req: Request,
  user: Express.User,
  body: unknown,
): Promise<{ ok: true; passkey: Omit<NewPasskey, "name"> } | ({ ok: false } & Refusal)> {
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) return { ok: false, ...malformed };
  const response = parsed.data as RegistrationResponseJSON;
  const taken = takeSignedChallenge(
    req,
    "register",
    response.response.clientDataJSON,
    deps.clock(),
    user.id,
  );
  if (!("challenge" in taken)) return { ok: false, ...taken };
  const { challenge } = taken;
  try {
    const verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      requireUserVerification: true,
    });
    if (!verified.verified) return { ok: false, ...notVerified };
    const info = verified.registrationInfo;
    return {
      ok: true,
      passkey: {
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: knownTransports(info.credential.transports ?? response.response.transports),
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
      },
    };
  } catch (error) {
    req.log?.info({ userId: user.id, reason: (error as Error).message }, "passkey refused");
    return { ok: false, ...notVerified };
  }
}

/**
 * Options to sign in with a passkey: any discoverable passkey of this site (`userId` omitted,
 * the login page), or one of that user's passkeys (the second factor, a confirmation).
 */
export async function authenticationOptions(
  deps: CeremonyDeps,
  req: Request,
  purpose: Exclude<ChallengePurpose, "register">,
  userId?: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allowed = userId === undefined ? [] : await listCredentials(deps.pool, userId);
  const options = await generateAuthenticationOptions({
    rpID: deps.rp.id,
    timeout: TIMEOUT_MS,
    userVerification: "required",
    allowCredentials: allowed.map((c) => ({
      id: c.credentialId,
      transports: knownTransports(c.transports),
    })),
  });
  keepChallenge(req, purpose, options.challenge, deps.clock(), userId);
  return options;
}

/**
 * Checks a passkey's answer to a challenge this session was given for `purpose`. With `userId`,
 * the passkey must be that user's. `endSession`: the session that held the challenge is deleted
 * from the store first, atomically (a sign-in replaces it anyway), so of two requests sending
 * the same answer at once only one gets past this point.
 */
export async function verifyAssertion(
  deps: CeremonyDeps,
  req: Request,
  purpose: Exclude<ChallengePurpose, "register">,
  body: unknown,
  options: { userId?: string; endSession: boolean },
): Promise<{ ok: true; credential: StoredCredential } | ({ ok: false } & Refusal)> {
  const parsed = authenticationSchema.safeParse(body);
  if (!parsed.success) return { ok: false, ...malformed };
  const response = parsed.data as AuthenticationResponseJSON;
  const taken = takeSignedChallenge(
    req,
    purpose,
    response.response.clientDataJSON,
    deps.clock(),
    options.userId,
  );
  if (!("challenge" in taken)) return { ok: false, ...taken };
  const { challenge } = taken;
  const credential = await findCredential(deps.pool, response.id);
  if (!credential) return { ok: false, ...unknownPasskey };
  if (options.userId !== undefined && credential.userId !== options.userId) {
    req.log?.info({ userId: options.userId }, "passkey of another account refused");
    return { ok: false, ...unknownPasskey };
  }
  // A discoverable passkey says whose it is: it must be the account the credential is stored for.
  const handle = response.response.userHandle;
  if (handle && handle !== (await findUserHandle(deps.pool, credential.userId))) {
    return { ok: false, ...notVerified };
  }
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.rp.origin,
      expectedRPID: deps.rp.id,
      credential: {
        id: credential.credentialId,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: knownTransports(credential.transports),
      },
      requireUserVerification: true,
    });
  } catch (error) {
    req.log?.info(
      { userId: credential.userId, reason: (error as Error).message },
      "passkey answer refused",
    );
    return { ok: false, ...notVerified };
  }
  if (!verified.verified) return { ok: false, ...notVerified };
  const info = verified.authenticationInfo;
  // Backup eligibility is fixed when a passkey is made: one that changes is not the same passkey.
  if (info.credentialDeviceType !== credential.deviceType) {
    req.log?.warn({ userId: credential.userId }, "passkey backup eligibility changed: refused");
    return { ok: false, ...notVerified };
  }
  if (options.endSession && !(await claimSessionRow(deps.pool, hashStoreKey(req.sessionID)))) {
    return { ok: false, ...staleChallenge };
  }
  if (
    !(await recordUse(deps.pool, credential, {
      newCounter: info.newCounter,
      backedUp: info.credentialBackedUp,
    }))
  ) {
    req.log?.warn({ userId: credential.userId }, "passkey counter raced: answer refused");
    return { ok: false, ...staleChallenge };
  }
  return { ok: true, credential };
}
