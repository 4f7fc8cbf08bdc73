import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A software passkey authenticator for HTTP tests: what a browser and its authenticator send,
 * built by the WebAuthn rules (authenticator data, "none" attestation, ES256 over P-256 by
 * node:crypto), so a test can also send what an attacker would: another origin or RP ID, an
 * old challenge, someone else's passkey. The browser tests use Chromium's own virtual
 * authenticator instead.
 */
export interface SoftCredential {
  /** base64url */
  id: string;
  privateKey: KeyObject;
  /** base64url of the user handle the site gave at registration. */
  userHandle: string;
  counter: number;
  backupEligible: boolean;
}

export interface Ceremony {
  /** clientDataJSON.origin (default: the authenticator's origin). */
  origin?: string;
  /** The RP ID whose hash goes in the authenticator data (default: the options' RP ID). */
  rpId?: string;
  /** The challenge signed (default: the options'). */
  challenge?: string;
  /** The UV flag (default true: the person gave their PIN or fingerprint). */
  userVerified?: boolean;
  /** The BE flag (default: the credential's). */
  backupEligible?: boolean;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest();

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function flags(ceremony: Ceremony, credential: { backupEligible: boolean }, attested: boolean) {
  const eligible = ceremony.backupEligible ?? credential.backupEligible;
  return (
    FLAG_UP |
    (ceremony.userVerified === false ? 0 : FLAG_UV) |
    (eligible ? FLAG_BE | FLAG_BS : 0) |
    (attested ? FLAG_AT : 0)
  );
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

/** The PublicKeyCredential as the browser's toJSON() gives it, around `response`. */
function publicKeyCredential<R>(id: string, response: R) {
  return {
    id,
    rawId: id,
    type: "public-key" as const,
    clientExtensionResults: {},
    authenticatorAttachment: "platform" as const,
    response,
  };
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly settings: { backupEligible?: boolean; countUses?: boolean } = {},
  ) {}

  /** navigator.credentials.create(): a new passkey for the options' user. */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    ceremony: Ceremony = {},
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, isoBase64URL.toBuffer(String(jwk.x))],
        [-3, isoBase64URL.toBuffer(String(jwk.y))],
      ]),
    );
    const id = randomBytes(16);
    const credential: SoftCredential = {
      id: b64url(id),
      privateKey,
      userHandle: options.user.id,
      counter: 0,
      backupEligible: this.settings.backupEligible ?? true,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(Buffer.from(ceremony.rpId ?? options.rp.id ?? "")),
      Buffer.from([flags(ceremony, credential, true)]),
      counterBytes(0),
      Buffer.alloc(16),
      idLength,
      id,
      coseKey,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    this.credentials.push(credential);
    return publicKeyCredential(credential.id, {
      clientDataJSON: b64url(
        clientData(
          "webauthn.create",
          ceremony.challenge ?? options.challenge,
          ceremony.origin ?? this.origin,
        ),
      ),
      attestationObject: b64url(attestationObject),
      transports: ["internal"],
    });
  }

  /** navigator.credentials.get(): an assertion by `credential` (default: the newest). */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    ceremony: Ceremony & { credential?: SoftCredential } = {},
  ): AuthenticationResponseJSON {
    const credential = ceremony.credential ?? this.credentials.at(-1);
    if (!credential) throw new Error("the soft authenticator holds no passkey");
    if (this.settings.countUses) credential.counter += 1;
    const authData = Buffer.concat([
      sha256(Buffer.from(ceremony.rpId ?? options.rpId ?? "")),
      Buffer.from([flags(ceremony, credential, false)]),
      counterBytes(credential.counter),
    ]);
    const clientDataJSON = clientData(
      "webauthn.get",
      ceremony.challenge ?? options.challenge,
      ceremony.origin ?? this.origin,
    );
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), {
      key: credential.privateKey,
      dsaEncoding: "der",
    });
    return publicKeyCredential(credential.id, {
      clientDataJSON: b64url(clientDataJSON),
      authenticatorData: b64url(authData),
      signature: b64url(signature),
      userHandle: credential.userHandle,
    });
  }
}
