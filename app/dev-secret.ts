import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DevelopmentSecret {
  secret: string;
  file: string;
  generated: boolean;
}

/**
 * Development only: a random session secret made once and kept in `.session-secret`
 * (git-ignored), so sessions survive restarts without anyone choosing a secret.
 */
export function developmentSecret(dir: string): DevelopmentSecret {
  const file = join(dir, ".session-secret");
  const existing = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (existing !== "") return { secret: existing, file, generated: false };

  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, generated: true };
}
