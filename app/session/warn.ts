const warned = new Set<string>();

/** The shape depd gives a deprecation it hands to `process.on("deprecation")` listeners. */
class DeprecationError extends Error {
  override name = "DeprecationError";
  readonly namespace = "express-session";
}

/**
 * One warning per process for each key, as express-session's deprecations. Those go through depd,
 * which prints nothing when the process has "deprecation" listeners and hands them the
 * deprecation instead; ours do the same, so code that listens for express-session's hears ours.
 */
export function warnOnce(key: string, message: string, type = "DeprecationWarning"): void {
  if (warned.has(key)) return;
  warned.add(key);
  if (type === "DeprecationWarning" && process.listenerCount("deprecation") > 0) {
    const emitter: NodeJS.EventEmitter = process;
    emitter.emit("deprecation", new DeprecationError(message.replace(/^express-session: /, "")));
    return;
  }
  process.emitWarning(message, type);
}
