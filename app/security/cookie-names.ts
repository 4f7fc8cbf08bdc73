import type { Config } from "../config.js";

/** Every cookie this app sets, by its development name (the contract's table in the README). */
export type CookieBaseName =
  | "sid"
  | "csrf"
  | "device"
  | "oidc_flow"
  | "oidc_answer"
  | "email_sign_in";

/**
 * A cookie's name: `__Host-<name>` in production, where the browser then only accepts it over
 * HTTPS, for this host, on path "/" (no subdomain can plant or read it); `<name>` elsewhere.
 * The cookie's options must match (secure: true, path "/", no domain): the session middleware
 * checks that for its own.
 */
export function cookieName(config: Pick<Config, "isProduction">, name: CookieBaseName): string {
  return config.isProduction ? `__Host-${name}` : name;
}
