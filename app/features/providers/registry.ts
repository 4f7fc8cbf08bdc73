import { appleProvider } from "./apple.js";
import type { HttpSettings, Provider } from "./client.js";
import { gitHubProvider } from "./github.js";
import { microsoftProvider } from "./microsoft.js";
import { openIdProvider } from "./oidc.js";
import type { ProviderSettings } from "./settings.js";

/**
 * Every configured provider, by key, in the order their buttons are shown: each with its
 * redirect URI, `APP_URL/auth/<key>/callback`, the one to register at the provider.
 */
export function createRegistry(
  settings: readonly ProviderSettings[],
  options: { appUrl: string; userAgent: string } & HttpSettings,
): ReadonlyMap<string, Provider> {
  const registry = new Map<string, Provider>();
  for (const provider of settings) {
    const redirectUri = `${options.appUrl}/auth/${provider.key}/callback`;
    registry.set(provider.key, build(provider, redirectUri, options));
  }
  return registry;
}

function build(
  settings: ProviderSettings,
  redirectUri: string,
  options: { userAgent: string } & HttpSettings,
): Provider {
  switch (settings.type) {
    case "github":
      return gitHubProvider(settings, redirectUri, options);
    case "microsoft":
      return microsoftProvider(settings, redirectUri, options);
    case "apple":
      return appleProvider(settings, redirectUri, options);
    case "google":
      return openIdProvider({ ...settings, logout: false }, redirectUri, options);
    case "oidc":
      return openIdProvider(settings, redirectUri, options);
  }
}
