import argon2 from "argon2";

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 (its first listed choice).
const HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

// NIST SP 800-63B: passwords are Unicode-normalised (NFKC) before hashing and verifying, so an
// "é" typed as one code point or as "e" + accent is the same password.
const normalised = (password: string) => password.normalize("NFKC");

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(normalised(password), HASH_OPTIONS);
}

/** False for a wrong password and for a hash argon2 cannot read; never throws for bad input. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, normalised(password));
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time a real verification takes, for an unknown email, so the answer's timing does
 * not tell whether the account exists.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword("not a real password: only here to spend the same time");
  await verifyPassword(await dummyHash, password);
  return false;
}
