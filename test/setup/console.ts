/**
 * vitest's onConsoleLog: what the test OpenID provider (oidc-provider) says about itself is left
 * out of the output. It runs as the tests set it up on purpose: in-memory storage, development
 * keys and its development login pages, and (on Node.js 20) a runtime it no longer supports.
 * Everything else a test prints is shown.
 */
export function onConsoleLog(log: string): false | undefined {
  return /oidc-provider (WARNING|NOTICE): /.test(log) ? false : undefined;
}
