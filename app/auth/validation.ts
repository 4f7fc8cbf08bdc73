import { z } from "zod";

const email = z
  .string({ error: "Enter your email address." })
  .trim()
  .min(1, { error: "Enter your email address." })
  .max(254, { error: "An email address has at most 254 characters." })
  .pipe(z.email({ error: "Enter an email address like name@example.com." }));

// NIST SP 800-63B: length over composition rules; a cap keeps hashing bounded.
const newPassword = z
  .string({ error: "Choose a password." })
  .min(12, { error: "Use at least 12 characters." })
  .max(256, { error: "Use at most 256 characters." });

const anyPassword = z
  .string({ error: "Enter your password." })
  .min(1, { error: "Enter your password." })
  .max(256, { error: "Email or password is incorrect." });

const checkbox = z
  .string()
  .optional()
  .transform((value) => value === "on" || value === "1" || value === "true");

export const registerSchema = z.object({ email, password: newPassword });

export const loginSchema = z.object({
  email: z
    .string({ error: "Enter your email address." })
    .trim()
    .min(1, { error: "Enter your email address." })
    .max(254, { error: "Email or password is incorrect." }),
  password: anyPassword,
  remember: checkbox,
});

export const changePasswordSchema = z.object({
  current_password: anyPassword,
  new_password: newPassword,
});

export type FieldErrors = Record<string, string>;

/** The first message for each field, keyed by field name, for the form to show beside it. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return errors;
}

/** A form value to put back in the form, whatever shape the body had. */
export function formValue(body: unknown, field: string): string {
  const value =
    typeof body === "object" && body !== null
      ? (body as Record<string, unknown>)[field]
      : undefined;
  return typeof value === "string" ? value.slice(0, 254) : "";
}

/**
 * Where to go after login: only a path on this site ("/account?tab=1"), never "//evil.example"
 * or "/\\evil.example", which browsers treat as other hosts.
 */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 512) return undefined;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return undefined;
  // Control characters and backslashes have no place in a path we redirect to.
  for (const char of value) if (char < " " || char === "\\") return undefined;
  return value;
}
