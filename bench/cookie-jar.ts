/**
 * A cookie jar for one virtual browser: just enough of RFC 6265 for the login flows. Cookies are
 * keyed by host name and cookie name; like a browser, the port does not separate them, so the app
 * and the emulator (both on `localhost`) share one jar, as they would in a real browser.
 */

type StoredCookie = { value: string; expiresAt: number | undefined };

export class CookieJar {
  private readonly byHost = new Map<string, Map<string, StoredCookie>>();

  /** Remembers every `Set-Cookie` of a response to `url`; Max-Age ≤ 0 or a past Expires deletes. */
  store(url: string | URL, response: Response): void {
    this.storeSetCookies(url, response.headers.getSetCookie());
  }

  /** The same for raw `Set-Cookie` values, as node:http hands them out. */
  storeSetCookies(url: string | URL, setCookies: readonly string[]): void {
    const host = new URL(url).hostname;
    for (const header of setCookies) {
      const [pair = "", ...attributes] = header.split(";");
      const separator = pair.indexOf("=");
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expiresAt = readExpiry(attributes);
      const cookies = this.byHost.get(host) ?? new Map<string, StoredCookie>();
      this.byHost.set(host, cookies);
      if (expiresAt !== undefined && expiresAt <= Date.now()) cookies.delete(name);
      else cookies.set(name, { value, expiresAt });
    }
  }

  /** The `Cookie` header for a request to `url`, or undefined when the jar holds nothing for it. */
  headerFor(url: string | URL): string | undefined {
    const cookies = this.byHost.get(new URL(url).hostname);
    if (!cookies) return undefined;
    const now = Date.now();
    const pairs: string[] = [];
    for (const [name, cookie] of cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) continue;
      pairs.push(`${name}=${cookie.value}`);
    }
    return pairs.length ? pairs.join("; ") : undefined;
  }

  get(url: string | URL, name: string): string | undefined {
    return this.byHost.get(new URL(url).hostname)?.get(name)?.value;
  }
}

function readExpiry(attributes: string[]): number | undefined {
  let expires: number | undefined;
  for (const attribute of attributes) {
    const [rawKey = "", ...rest] = attribute.split("=");
    const key = rawKey.trim().toLowerCase();
    const value = rest.join("=").trim();
    // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
    if (key === "max-age" && /^-?\d+$/.test(value)) return Date.now() + Number(value) * 1000;
    if (key === "expires") {
      const parsed = Date.parse(value);
      if (!Number.isNaN(parsed)) expires = parsed;
    }
  }
  return expires;
}
