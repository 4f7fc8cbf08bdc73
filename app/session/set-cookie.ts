import { type SetCookie, stringifySetCookie } from "cookie";
import type { Priority, SameSite } from "./types.js";

/** The attributes of a Set-Cookie value other than its expiry (a Cookie is one). */
export interface SetCookieAttributes {
  domain?: string | undefined;
  path?: string | undefined;
  httpOnly?: boolean | undefined;
  /** Written only when `true` (`"auto"` is resolved before a cookie is sent). */
  secure?: boolean | "auto" | undefined;
  sameSite?: SameSite | undefined;
  partitioned?: boolean | undefined;
  priority?: Priority | undefined;
}

/**
 * The text around `Expires` for one set of attributes, as the cookie package writes it: from
 * `; Domain=…; Path=…` before, `; HttpOnly; Secure; Partitioned; Priority=…; SameSite=…` after.
 */
interface AttributeText {
  domain: string | undefined;
  path: string | undefined;
  httpOnly: boolean | undefined;
  secure: boolean;
  sameSite: SameSite | undefined;
  partitioned: boolean | undefined;
  priority: Priority | undefined;
  before: string;
  after: string;
}

let knownName: string | undefined;
let known: AttributeText | undefined;
let expiresSecond = Number.NaN;
let expiresText = "";

function sameAttributes(a: AttributeText, f: SetCookieAttributes): boolean {
  return (
    a.domain === f.domain &&
    a.path === f.path &&
    a.httpOnly === f.httpOnly &&
    a.secure === (f.secure === true) &&
    a.sameSite === f.sameSite &&
    a.partitioned === f.partitioned &&
    a.priority === f.priority
  );
}

/** `; Expires=…` for a valid Date: `toUTCString()` only changes once a second. */
function expiresPart(date: Date): string {
  const second = Math.floor(date.valueOf() / 1000);
  if (second !== expiresSecond) {
    expiresText = `; Expires=${date.toUTCString()}`;
    expiresSecond = second;
  }
  return expiresText;
}

/** The cookie package's one-object form of the same cookie. */
function asPackageCookie(
  name: string,
  value: string,
  attributes: SetCookieAttributes,
  expires: unknown,
): SetCookie {
  const { domain, path, httpOnly, secure, sameSite, partitioned, priority } = attributes;
  return {
    name,
    value,
    domain,
    path,
    expires: expires as Date | undefined,
    httpOnly,
    secure: secure === true,
    sameSite,
    partitioned,
    priority,
  };
}

/**
 * `stringifySetCookie({ name, value, ...attributes, expires })` of the cookie package (with
 * `secure` only when `true`): the same string and the same errors, for less. With rolling it runs
 * on every response, where only the value and the expiry change from one to the next. The name
 * and the attributes other than `expires` are written (and judged) by the package itself, once
 * for each new name or set of attributes; the value is percent-encoded as the package encodes it
 * (`encodeURIComponent`, whose output always passes the package's value check); `Expires` is
 * `toUTCString()`, kept for the second it stands for. Anything but a valid Date (or none) as
 * `expires` goes to the package as it is. Errors are the package's, worded as express-session's.
 */
export function setCookieValue(
  name: string,
  value: string,
  attributes: SetCookieAttributes,
  expires: unknown,
): string {
  try {
    return writeSetCookie(name, value, attributes, expires);
  } catch (err) {
    throw asExpressSessionError(err);
  }
}

/**
 * The package's TypeError with express-session's wording: cookie 1.x adds the value to the message
 * ("option expires is invalid: Invalid Date"), express-session's cookie 0.7 says only "option
 * expires is invalid". Code written for express-session may match the message.
 */
function asExpressSessionError(err: unknown): unknown {
  if (!(err instanceof TypeError)) return err;
  const short = /^((?:argument|option|cookie) \w+ is invalid): /.exec(err.message);
  return short ? new TypeError(short[1]) : err;
}

function writeSetCookie(
  name: string,
  value: string,
  attributes: SetCookieAttributes,
  expires: unknown,
): string {
  if (expires && !(expires instanceof Date && Number.isFinite(expires.valueOf()))) {
    return stringifySetCookie(asPackageCookie(name, value, attributes, expires));
  }
  if (name !== knownName) {
    stringifySetCookie({ name, value: "" });
    knownName = name;
  }
  const encoded = value ? encodeURIComponent(value) : "";
  let text = known;
  if (text === undefined || !sameAttributes(text, attributes)) {
    const { domain, path, httpOnly, sameSite, partitioned, priority } = attributes;
    const secure = attributes.secure === true;
    // In the package's order: domain and path are judged before expires, the rest after.
    const before = stringifySetCookie({ name: "n", value: "", domain, path }).slice("n=".length);
    const after = stringifySetCookie({
      name: "n",
      value: "",
      httpOnly,
      secure,
      partitioned,
      priority,
      sameSite,
    }).slice("n=".length);
    text = { domain, path, httpOnly, secure, sameSite, partitioned, priority, before, after };
    known = text;
  }
  const expiry = expires ? expiresPart(expires as Date) : "";
  return `${name}=${encoded}${text.before}${expiry}${text.after}`;
}
