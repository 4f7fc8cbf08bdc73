import type { IncomingMessage } from "node:http";
import { type DestinationStream, type Logger, pino } from "pino";
import { pinoHttp } from "pino-http";
import pinoPretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./config.js";

export type { Logger } from "pino";

// Credentials and anything that would let a log reader take over a session.
// The session ID travels only in cookies, which are redacted whole.
const REDACTED_PATHS = [
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["proxy-authorization"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  "sessionID",
  "*.sessionID",
  "password",
  "*.password",
  "*.passwordHash",
  "*.password_hash",
  "*.secret",
  "*.sessionSecrets",
];

export function createLogger(
  options: { level: LogLevel; pretty?: boolean },
  destination?: DestinationStream,
): Logger {
  const settings = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  if (options.pretty) return pino(settings, readableLines(destination));
  return destination ? pino(settings, destination) : pino(settings);
}

/** "auto": readable lines in development when stdout is a terminal; JSON lines otherwise. */
export function wantsPrettyLogs(format: LogFormat, isProduction: boolean): boolean {
  if (format === "auto") return !isProduction && process.stdout.isTTY === true;
  return format === "pretty";
}

interface RequestLine {
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/**
 * pino-pretty in this process, one line per entry: "GET /account 200 4ms" for a request (what the
 * JSON line holds in full), the message with its other fields otherwise; errors keep their stack.
 */
function readableLines(destination?: DestinationStream): DestinationStream {
  return pinoPretty({
    ...(destination ? { destination } : {}),
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: "SYS:HH:MM:ss",
    ignore: "pid,hostname,req,res,responseTime",
    singleLine: true,
    messageFormat: (log, messageKey) => {
      const { req, res, responseTime } = log as RequestLine;
      if (req?.method && res?.statusCode !== undefined) {
        return `${req.method} ${req.url ?? ""} ${res.statusCode} ${Math.round(responseTime ?? 0)}ms`;
      }
      return String(log[messageKey] ?? "");
    },
  });
}

// The one-time tokens of mailed links (app/auth/recovery/tokens.ts: 43 base64url characters)
// travel in URL paths, and in a login page's ?next=: a log reader must not be able to use them.
const MAILED_TOKEN = /[A-Za-z0-9_-]{43}/g;
export const maskTokens = (text: string) => text.replace(MAILED_TOKEN, "[token]");

interface SerializedRequest {
  url?: unknown;
  params?: unknown;
  [key: string]: unknown;
}

function withoutTokens(req: SerializedRequest): SerializedRequest {
  const masked = { ...req };
  if (typeof req.url === "string") masked.url = maskTokens(req.url);
  if (typeof req.params === "object" && req.params !== null) {
    masked.params = Object.fromEntries(
      Object.entries(req.params).map(([key, value]) => [
        key,
        typeof value === "string" ? maskTokens(value) : value,
      ]),
    );
  }
  return masked;
}

// Probes hit these every few seconds; a log line each would drown the rest.
const PROBE_PATHS = new Set(["/healthz", "/readyz"]);

/** One structured log line per request, at a level that follows the status code. */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    serializers: { req: withoutTokens },
    autoLogging: { ignore: (req: IncomingMessage) => PROBE_PATHS.has(req.url ?? "") },
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return "error";
      if (res.statusCode >= 400) return "warn";
      return "info";
    },
  });
}
