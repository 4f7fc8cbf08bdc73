import { connect } from "node:net";

/**
 * HTTP/1.1 over a bare TCP socket, for requests no well-behaved client would send: any bytes in
 * the request line and headers, bodies whose Content-Length lies, headers too large to parse.
 * One request per connection (`Connection: close`); the answer is read until the server closes.
 */

export interface RawRequest {
  method?: string;
  /** Sent as is: not encoded, not checked. */
  path: string;
  /** In order; repeated names allowed. Host and Connection are added unless present. */
  headers?: Array<[string, string]>;
  body?: string | Buffer;
  /** Content-Length is added for a body unless a header of that name is given. */
}

export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated ones joined with ", " (Set-Cookie: see setCookies). */
  headers: Record<string, string>;
  setCookies: string[];
  body: string;
}

export function encodeRequest(url: string, request: RawRequest): Buffer {
  const { host } = new URL(url);
  const headers = [...(request.headers ?? [])];
  const has = (name: string) => headers.some(([key]) => key.toLowerCase() === name);
  if (!has("host")) headers.unshift(["Host", host]);
  if (!has("connection")) headers.push(["Connection", "close"]);
  const body =
    request.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(request.body)
        ? request.body
        : Buffer.from(request.body, "utf8");
  if (request.body !== undefined && !has("content-length") && !has("transfer-encoding")) {
    headers.push(["Content-Length", String(body.length)]);
  }
  // latin1: one byte per character, so a test can put any byte in a header.
  const head = Buffer.from(
    `${request.method ?? "GET"} ${request.path} HTTP/1.1\r\n${headers
      .map(([key, value]) => `${key}: ${value}\r\n`)
      .join("")}\r\n`,
    "latin1",
  );
  return Buffer.concat([head, body]);
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export function parseResponse(raw: Buffer): RawResponse {
  const split = raw.indexOf("\r\n\r\n");
  if (split === -1) throw new Error(`no complete response: ${JSON.stringify(raw.toString())}`);
  const [statusLine = "", ...lines] = raw.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  const setCookies: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "set-cookie") setCookies.push(value);
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let body = raw.subarray(split + 4);
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") body = dechunk(body);
  return { status, headers, setCookies, body: body.toString("utf8") };
}

/** Sends the request and resolves with the parsed answer (rejects if none came). */
export function rawRequest(url: string, request: RawRequest | Buffer): Promise<RawResponse> {
  const bytes = Buffer.isBuffer(request) ? request : encodeRequest(url, request);
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(30_000, () => socket.destroy(new Error("no answer within 30 s")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The server may answer and close before reading all of a large body: what it said counts.
    socket.on("error", (error) => {
      if (chunks.length === 0) reject(error);
    });
    socket.on("close", () => {
      if (chunks.length === 0) return reject(new Error("connection closed without an answer"));
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    // Not end(): a half-closed client makes Node's server close before it answers.
    socket.write(bytes);
  });
}
