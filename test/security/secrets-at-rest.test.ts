import { randomBytes } from "node:crypto";
import { expect, test } from "vitest";
import { createSecretBox } from "../../app/security/secrets-at-rest.js";

const box = createSecretBox(randomBytes(32));

test("a sealed secret opens with the same key and context, and does not show the plaintext", () => {
  const sealed = box.seal("JBSWY3DPEHPK3PXP", "totp:1");
  expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
  expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
  expect(box.open(sealed, "totp:1")).toBe("JBSWY3DPEHPK3PXP");
});

test("every value gets its own random IV: the same secret sealed twice looks different", () => {
  const a = box.seal("same", "totp:1");
  const b = box.seal("same", "totp:1");
  expect(a).not.toBe(b);
  expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
});

test("an altered value, another user's row, or another key does not open", () => {
  const sealed = box.seal("JBSWY3DPEHPK3PXP", "totp:1");
  const [version, iv, tag, ciphertext] = sealed.split(".") as [string, string, string, string];
  const flipped = Buffer.from(ciphertext, "base64url");
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  expect(box.open([version, iv, tag, flipped.toString("base64url")].join("."), "totp:1")).toBe(
    undefined,
  );
  expect(box.open(sealed, "totp:2")).toBeUndefined();
  expect(createSecretBox(randomBytes(32)).open(sealed, "totp:1")).toBeUndefined();
  expect(box.open("v1.not.a.value", "totp:1")).toBeUndefined();
  expect(box.open("garbage", "totp:1")).toBeUndefined();
});

test("a key that is not 32 bytes is refused", () => {
  expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
});
