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

// What would let a log reader use a mailed link or finish someone's sign-in, wherever it is in
// a logged URL, query, `next` or `Location`, encoded or not:
// - a mailed token (app/auth/recovery/tokens.ts: 43 base64url characters): any run of 43 or
//   more such characters is masked whole, so "%2F<token>" loses "2F" too rather than leaving
//   the token's end;
// - the value of a query parameter that carries a credential (an OIDC callback's code, state).
const TOKEN_RUN = /[A-Za-z0-9_-]{43,}/g;
const SECRET_PARAMS = new Set(["code", "state", "token", "id_token", "access_token"]);
const SECRET_PARAM = /([?&])(code|state|token|id_token|access_token)=[^&#]*/g;

/** The text with every token and credential parameter masked: for URLs, paths, `next`. */
export const maskTokens = (text: string) =>
  text.replace(SECRET_PARAM, "$1$2=[redacted]").replace(TOKEN_RUN, "[token]");

/** A parsed query or params object, masked the same way (values by name, then by shape). */
function maskValues(values: unknown): unknown {
  if (typeof values !== "object" || values === null) return values;
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      SECRET_PARAMS.has(key) ? "[redacted]" : maskValue(value),
    ]),
  );
}

function maskValue(value: unknown): unknown {
  if (typeof value === "string") return maskTokens(value);
  if (Array.isArray(value)) return value.map(maskValue);
  return maskValues(value);
}

interface SerializedRequest {
  url?: unknown;
  params?: unknown;
  query?: unknown;
  [key: string]: unknown;
}

function withoutTokens(req: SerializedRequest): SerializedRequest {
  const masked = { ...req };
  if (typeof req.url === "string") masked.url = maskTokens(req.url);
  if ("params" in req) masked.params = maskValues(req.params);
  if ("query" in req) masked.query = maskValues(req.query);
  return masked;
}

interface SerializedResponse {
  headers?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A redirect's Location (to /login?next=..., or back to a link) is masked as a URL is. */
function responseWithoutTokens(res: SerializedResponse): SerializedResponse {
  const location = res.headers?.location;
  if (typeof location !== "string") return res;
  return { ...res, headers: { ...res.headers, location: maskTokens(location) } };
}

// Probes hit these every few seconds; a log line each would drown the rest.
const PROBE_PATHS = new Set(["/healthz", "/readyz"]);

/** One structured log line per request, at a level that follows the status code. */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    serializers: { req: withoutTokens, res: responseWithoutTokens },
    autoLogging: { ignore: (req: IncomingMessage) => PROBE_PATHS.has(req.url ?? "") },
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return "error";
      if (res.statusCode >= 400) return "warn";
      return "info";
    },
  });
}
