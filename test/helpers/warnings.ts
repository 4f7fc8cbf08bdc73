import { vi } from "vitest";

/** What `fn` warned: process.emitWarning, a "deprecation" event or stderr (depd), console.warn. */
export function warningsDuring(fn: () => void): string[] {
  const messages: string[] = [];
  const onDeprecation = (error: Error) => messages.push(error.message);
  process.on("deprecation", onDeprecation);
  const emit = vi.spyOn(process, "emitWarning").mockImplementation((w: string | Error) => {
    messages.push(String(w instanceof Error ? w.message : w));
  });
  const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    messages.push(String(chunk));
    return true;
  });
  const warn = vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    messages.push(args.map(String).join(" "));
  });
  try {
    fn();
  } finally {
    process.off("deprecation", onDeprecation);
    emit.mockRestore();
    write.mockRestore();
    warn.mockRestore();
  }
  return messages;
}
