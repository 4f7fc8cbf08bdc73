import { BlockList, isIP } from "node:net";
import type { RequestHandler } from "express";

// 127.0.0.0/8 and ::1: a name that resolves there is what DNS rebinding makes of an attacker's.
const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** The host name of a Host header ("[::1]:3000" -> "::1"), lower case; undefined if malformed. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    const name = new URL(`http://${header}/`).hostname.toLowerCase().replace(/\.$/, "");
    return name.startsWith("[") ? name.slice(1, -1) : name;
  } catch {
    return undefined;
  }
}

/** Whether `name` can only mean this machine: localhost (and *.localhost), a loopback address. */
function isLocal(name: string): boolean {
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const family = isIP(name);
  return family !== 0 && loopback.check(name, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Outside production, answers only requests for this app's own names: APP_URL's host,
 * localhost, a loopback address. A page on another site that rebinds its own name to
 * 127.0.0.1 (DNS rebinding) still sends its name as Host, and gets 421 instead of the
 * development outbox's reset links or anything else. Production sits behind a proxy that
 * decides which names reach it, and is not checked here.
 */
export function developmentHostCheck(appUrl: string): RequestHandler {
  const own = hostName(new URL(appUrl).host);
  return (req, res, next) => {
    const name = hostName(req.headers.host);
    if (name !== undefined && (name === own || isLocal(name))) return next();
    res.status(421).type("text/plain").send("This server does not answer for that host name.\n");
  };
}
