import { type SetCookie, stringifySetCookie } from "cookie";
import type { Priority, SameSite } from "./types.js";

/** What a Set-Cookie value is written from (the `cookie` package's one-object form, less maxAge). */
export interface SetCookieFields {
  name: string;
  value: string;
  domain: string | undefined;
  path: string | undefined;
  expires: unknown;
  httpOnly: boolean | undefined;
  secure: boolean;
  sameSite: SameSite | undefined;
  partitioned: boolean | undefined;
  priority: Priority | undefined;
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

function sameAttributes(a: AttributeText, f: SetCookieFields): boolean {
  return (
    a.domain === f.domain &&
    a.path === f.path &&
    a.httpOnly === f.httpOnly &&
    a.secure === f.secure &&
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

/**
 * `stringifySetCookie(fields)` of the cookie package, the same string and the same errors, for
 * less: with rolling it runs on every response, where only the value and the expiry change from
 * one to the next. The name and the attributes other than `expires` are written (and judged) by
 * the package itself, once for each new name or set of attributes; the value is percent-encoded
 * as the package encodes it (`encodeURIComponent`, whose output always passes the package's
 * value check); `Expires` is `toUTCString()`, kept for the second it stands for. Anything but a
 * valid Date (or none) as `expires` goes to the package as it is.
 */
export function setCookieValue(fields: SetCookieFields): string {
  const { name, value, expires } = fields;
  if (expires && !(expires instanceof Date && Number.isFinite(expires.valueOf()))) {
    return stringifySetCookie(fields as unknown as SetCookie);
  }
  if (name !== knownName) {
    stringifySetCookie({ name, value: "" });
    knownName = name;
  }
  const encoded = value ? encodeURIComponent(value) : "";
  let text = known;
  if (text === undefined || !sameAttributes(text, fields)) {
    const { domain, path, httpOnly, secure, sameSite, partitioned, priority } = fields;
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
