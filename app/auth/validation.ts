import { z } from "zod";
import type { Message, MessageValues } from "../i18n/index.js";
import { weakPasswordReason } from "./password-strength.js";

const email = z
  .string({ error: "validation.enterEmail" })
  .trim()
  .min(1, { error: "validation.enterEmail" })
  .max(254, { error: "validation.emailTooLong" })
  .pipe(z.email({ error: "validation.emailFormat" }));

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
  .string({ error: "validation.choosePassword" })
  .transform((value) => value.normalize("NFKC"))
  .pipe(
    z
      .string()
      .min(12, { error: "validation.passwordTooShort" })
      .max(256, { error: "validation.passwordTooLong" })
      .refine((value) => value.trim() !== "", { error: "validation.onlySpaces" })
      .superRefine((value, ctx) => {
        const reason = weakPasswordReason(value);
        if (reason) ctx.addIssue({ code: "custom", ...issueOf(reason) });
      }),
  );

const anyPassword = z
  .string({ error: "validation.enterPassword" })
  .min(1, { error: "validation.enterPassword" })
  .max(256, { error: "auth.incorrect" });

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
    error: "validation.differentPassword",
  });

/** Catalogue Messages, by field. */
export type FieldErrors = Record<string, Message>;

/**
 * A Message as a zod issue: the key is the issue's message, its values ride in `params` (zod
 * keeps messages as strings). `fieldErrors` puts them back together.
 */
function issueOf(message: Message): { message: string; params?: { values: MessageValues } } {
  if (typeof message === "string") return { message };
  return message.values === undefined
    ? { message: message.key }
    : { message: message.key, params: { values: message.values } };
}

function messageOf(issue: z.core.$ZodIssue): Message {
  const values = issue.code === "custom" ? issue.params?.values : undefined;
  return values && typeof values === "object"
    ? { key: issue.message, values: values as MessageValues }
    : issue.message;
}

/**
 * The first message for each field, keyed by field name, for the form to show beside it. The
 * schemas' messages are catalogue keys (locales/*.json: "validation.*", "password.*", ...).
 */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= messageOf(issue);
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
