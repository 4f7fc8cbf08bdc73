import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Secrets kept in the database (TOTP secrets) are sealed here, and only here: AES-256-GCM from
 * node:crypto with DATA_ENCRYPTION_KEY, a random 96-bit IV per value, the 128-bit tag stored
 * with it. `context` (e.g. "totp:<user id>") is authenticated as additional data, so a sealed
 * value copied to another row or purpose does not open.
 *
 * Stored as `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** The plaintext, or undefined when the value was altered, moved or sealed with another key. */
  open(sealed: string, context: string): string | undefined;
}

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = "v1";

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("DATA_ENCRYPTION_KEY must be 32 bytes");
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv, tag, ciphertext]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    open(sealed, context) {
      const [version, iv, tag, ciphertext, ...rest] = sealed.split(".");
      if (version !== VERSION || iv === undefined || tag === undefined || rest.length > 0) {
        return undefined;
      }
      try {
        const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, "base64url"), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        const plaintext = Buffer.concat([
          decipher.update(Buffer.from(ciphertext ?? "", "base64url")),
          decipher.final(),
        ]);
        return plaintext.toString("utf8");
      } catch {
        // A wrong tag (altered, another key or context) or a malformed IV.
        return undefined;
      }
    },
  };
}
