const warned = new Set<string>();

/** One warning per process for each key, as express-session's deprecations. */
export function warnOnce(key: string, message: string, type = "DeprecationWarning"): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, type);
}
