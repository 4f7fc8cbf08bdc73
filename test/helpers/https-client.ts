import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import type { Reply } from "./http-client.js";

/** Where a site is: the name in its certificate and Host header, and where to connect. */
export interface HttpsOrigin {
  /** e.g. "localhost" (the TLS server name, checked against the certificate). */
  hostname: string;
  port: number;
  /** The address actually dialled, e.g. "127.0.0.1" (no DNS involved). */
  address: string;
  /** PEM of the certificate authority to trust, and no other: verification stays on. */
  ca: string;
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

/**
 * A browser stand-in over HTTPS with a CA of the test's choosing (Node's fetch cannot be given
 * one without undici's Agent): keeps cookies as a browser would, follows no redirects, and
 * fills in the CSRF token from the last page. Replies have the shape of HttpClient's.
 */
export class HttpsClient {
  readonly cookies = new Map<string, string>();
  lastBody = "";

  constructor(readonly origin: HttpsOrigin) {}

  get baseUrl(): string {
    return `https://${this.origin.hostname}:${this.origin.port}`;
  }

  request(
    method: string,
    path: string,
    init: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {
      host: `${this.origin.hostname}:${this.origin.port}`,
      accept: "text/html",
      ...init.headers,
    };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";

    return new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          host: this.origin.address,
          port: this.origin.port,
          servername: this.origin.hostname,
          ca: this.origin.ca,
          method,
          path,
          headers,
          agent: false,
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const setCookies = res.headers["set-cookie"] ?? [];
            for (const line of setCookies) this.#store(line);
            this.lastBody = text;
            resolve({
              status: res.statusCode ?? 0,
              headers: toHeaders(res.headers),
              body: text,
              setCookies,
              location: res.headers.location ?? null,
            });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in time`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request("GET", path, headers ? { headers } : {});
  }

  /** Posts a form, adding the CSRF token from the last page unless the form has one. */
  post(path: string, form: Record<string, string> = {}): Promise<Reply> {
    const withToken = "_csrf" in form ? form : { _csrf: this.csrfToken() ?? "", ...form };
    return this.request("POST", path, { form: withToken });
  }

  /** The `_csrf` value in the last page's forms. */
  csrfToken(): string | undefined {
    return /name="_csrf" value="([^"]*)"/.exec(this.lastBody)?.[1];
  }

  #store(line: string): void {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = "", val = ""] = attribute.split("=").map((part) => part.trim());
      if (key.toLowerCase() === "max-age") return Number(val) <= 0;
      if (key.toLowerCase() === "expires") return Date.parse(val) <= Date.now();
      return false;
    });
    if (expired || value === "") this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
