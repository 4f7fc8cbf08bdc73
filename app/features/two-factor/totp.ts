import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

/**
 * TOTP as RFC 6238 has it and every authenticator app expects: SHA-1, 6 digits, 30 s steps,
 * one step of drift either way. otpauth does the cryptography; qrcode draws the setup code.
 */
const PERIOD_SECONDS = 30;
const DRIFT_STEPS = 1;

const totpFor = (base32: string, label = "", issuer = "") =>
  new TOTP({
    issuer,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(base32),
  });

/** A new random secret (160 bits, as RFC 4226 recommends), base32 as apps show it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app reads from the QR code; `issuer` is APP_NAME. */
export function totpUri(base32: string, accountName: string, issuer: string): string {
  return totpFor(base32, accountName, issuer).toString();
}

/**
 * The time step the code belongs to (within one step of `nowMs`), or undefined when it matches
 * none. The caller still has to refuse a step at or before the last one accepted (replay).
 */
export function totpStep(base32: string, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const totp = totpFor(base32);
  const delta = totp.validate({ token: code, timestamp: nowMs, window: DRIFT_STEPS });
  return delta === null ? undefined : totp.counter({ timestamp: nowMs }) + delta;
}

/**
 * The QR code as an inline <svg>: drawn with fill/stroke attributes only (no style attribute,
 * no script), so the page's Content-Security-Policy needs no exception.
 */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2, width: 220 });
}
