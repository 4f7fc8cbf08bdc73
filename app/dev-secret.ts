import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DevelopmentSecret {
  secret: string;
  file: string;
  generated: boolean;
}

/**
 * Development only: a random secret made once and kept in `dir/fileName` (git-ignored:
 * `.session-secret` for sessions, `.data-encryption-key` for secrets at rest), so what it
 * protects survives restarts without anyone choosing a secret. 32 random bytes, base64url.
 */
export function developmentSecret(dir: string, fileName = ".session-secret"): DevelopmentSecret {
  const file = join(dir, fileName);
  const existing = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (existing !== "") return { secret: existing, file, generated: false };

  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, generated: true };
}
