/**
 * Whether an error means "the database cannot be reached right now" (answer 503 and let the
 * client retry) rather than a bug (500). Covers pg's connection and timeout errors and the
 * server's own shutdown and connection-class SQLSTATEs.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (
      ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"].includes(code)
    )
      return true;
    // 08: connection exception; 57P0x: admin/crash shutdown, cannot connect now; 57014: statement timeout.
    if (code.startsWith("08") || code.startsWith("57P0") || code === "57014" || code === "53300")
      return true;
  }
  if (typeof message === "string") {
    return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection is closed|Cannot use a pool after calling end/i.test(
      message,
    );
  }
  return false;
}
