/**
 * A tiny browser stand-in over real HTTP: keeps cookies like a browser would (name -> value,
 * deleted when the server expires them), never follows redirects by itself, and reads the CSRF
 * token out of the last page's forms.
 */
export interface Reply {
  status: number;
  headers: Headers;
  body: string;
  setCookies: string[];
  location: string | null;
}

export class HttpClient {
  readonly cookies = new Map<string, string>();
  lastBody = "";

  constructor(
    readonly baseUrl: string,
    readonly defaultHeaders: Record<string, string> = {},
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async request(
    method: string,
    path: string,
    init: {
      form?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string;
      /**
       * A POST from another site's page (a provider's form_post): the browser sends none of this
       * app's cookies (all SameSite=Lax or Strict) with it, and still keeps those it sets.
       */
      crossSite?: boolean;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {
      accept: "text/html",
      ...this.defaultHeaders,
      ...init.headers,
    };
    if (this.cookies.size > 0 && !init.crossSite) headers.cookie = this.cookieHeader();
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body,
      redirect: "manual",
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) this.#store(line);
    const text = await res.text();
    this.lastBody = text;
    return {
      status: res.status,
      headers: res.headers,
      body: text,
      setCookies,
      location: res.headers.get("location"),
    };
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request("GET", path, headers ? { headers } : {});
  }

  /** Posts a form, adding the CSRF token from the last page unless the form has one. */
  post(
    path: string,
    form: Record<string, string> = {},
    headers?: Record<string, string>,
  ): Promise<Reply> {
    const withToken = "_csrf" in form ? form : { _csrf: this.csrfToken() ?? "", ...form };
    return this.request("POST", path, headers ? { form: withToken, headers } : { form: withToken });
  }

  /** A GET as a script would send it: Accept JSON. */
  getJson(path: string): Promise<Reply> {
    return this.request("GET", path, { headers: { accept: "application/json" } });
  }

  /**
   * A JSON POST as a script would send it: Accept and Content-Type JSON, the CSRF token in the
   * X-CSRF-Token header (by default the one in the last page; null sends none).
   */
  postJson(path: string, data: unknown, token: string | null = this.csrfToken() ?? null) {
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/json",
    };
    if (token !== null) headers["x-csrf-token"] = token;
    return this.request("POST", path, { headers, body: JSON.stringify(data) });
  }

  /** The value of the first form field named `name` in the last page (HTML entities decoded). */
  fieldValue(name: string, body = this.lastBody): string | undefined {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const raw = new RegExp(`name="${escaped}" value="([^"]*)"`).exec(body)?.[1];
    return raw
      ?.replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'")
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">")
      .replaceAll("&amp;", "&");
  }

  /** The `_csrf` value in the last page's forms. */
  csrfToken(body = this.lastBody): string | undefined {
    return /name="_csrf" value="([^"]*)"/.exec(body)?.[1];
  }

  #store(line: string): void {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attr) => {
      const [key = "", val = ""] = attr.split("=").map((s) => s.trim());
      if (key.toLowerCase() === "max-age") return Number(val) <= 0;
      if (key.toLowerCase() === "expires") return Date.parse(val) <= Date.now();
      return false;
    });
    if (expired || value === "") this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** A reply's body parsed as JSON (throws, with the body, when it is not JSON). */
export function jsonOf<T>(reply: Reply): T {
  try {
    return JSON.parse(reply.body) as T;
  } catch {
    throw new Error(`expected JSON, got ${reply.status}: ${reply.body.slice(0, 200)}`);
  }
}
