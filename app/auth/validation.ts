import { z } from "zod";
import type { Message } from "../i18n/index.js";
import { weakPasswordReason } from "./password-strength.js";

const email = z
  .string({ error: "Enter your email address." })
  .trim()
  .min(1, { error: "Enter your email address." })
  .max(254, { error: "An email address has at most 254 characters." })
  .pipe(z.email({ error: "Enter an email address like name@example.com." }));

/**
 * An address as the sign-up form takes it (one address, at most 254 characters, trimmed), from
 * anywhere else it may come: a provider's email claim. Undefined when the form would refuse it.
 */
export function emailAddress(value: unknown): string | undefined {
  const parsed = email.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

// NIST SP 800-63B: length over composition rules, no commonly used passwords, Unicode
// normalised (NFKC) so the same password typed on another keyboard is the same; a cap keeps
// hashing bounded.
const newPassword = z
  .string({ error: "Choose a password." })
  .transform((value) => value.normalize("NFKC"))
  .pipe(
    z
      .string()
      .min(12, { error: "Use at least 12 characters." })
      .max(256, { error: "Use at most 256 characters." })
      .refine((value) => value.trim() !== "", { error: "A password cannot be only spaces." })
      .superRefine((value, ctx) => {
        const reason = weakPasswordReason(value);
        if (reason) ctx.addIssue({ code: "custom", message: reason });
      }),
  );

const anyPassword = z
  .string({ error: "Enter your password." })
  .min(1, { error: "Enter your password." })
  .max(256, { error: "Email or password is incorrect." });

const checkbox = z
  .string()
  .optional()
  .transform((value) => value === "on" || value === "1" || value === "true");

export const registerSchema = z.object({ email, password: newPassword });

// What sign-up refuses can never be an account: the login form refuses it the same way, so
// no odd input (a NUL byte, 300 characters) reaches the database or the limiter's keys.
export const loginSchema = z.object({
  email,
  password: anyPassword,
  remember: checkbox,
});

export const forgotPasswordSchema = z.object({ email });
export const resetPasswordSchema = z.object({ password: newPassword });
export const changeEmailSchema = z.object({ new_email: email, current_password: anyPassword });

export const changePasswordSchema = z
  .object({
    current_password: anyPassword,
    new_password: newPassword,
  })
  .refine((form) => form.current_password.normalize("NFKC") !== form.new_password, {
    path: ["new_password"],
    error: "Choose a password different from your current one.",
  });

/** Catalogue Messages, by field. */
export type FieldErrors = Record<string, Message>;

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
