import { type Config, loadConfig } from "../../app/config.js";

export const TEST_SECRET = "test-secret-test-secret-test-secret";
/** A DATA_ENCRYPTION_KEY for tests (32 bytes, hex), so no key file is written. */
export const TEST_DATA_ENCRYPTION_KEY = "7e57".repeat(16);

/**
 * A Config as the app would load it, with test-friendly settings: quiet logs, any free port,
 * no prune timer. No DATABASE_URL: pass one, or a DATA_DIR for the embedded server.
 * `cwd` is where relative paths resolve; give a temp dir when files may be written.
 */
export function testConfig(env: Record<string, string> = {}, cwd = process.cwd()): Config {
  // Production requires an SMTP server and a public URL: tests about something else get
  // stand-ins (nothing listens on port 9; test/helpers/mail.ts starts a real server).
  const production =
    env.NODE_ENV === "production"
      ? { SMTP_URL: "smtp://127.0.0.1:9", APP_URL: "https://app.example" }
      : {};
  return loadConfig({
    env: {
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "silent",
      SESSION_SECRET: TEST_SECRET,
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      SESSION_PRUNE_INTERVAL_MINUTES: "0",
      ...production,
      ...env,
    },
    cwd,
  }).config;
}
