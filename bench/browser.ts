import { CookieJar } from "tough-cookie";

/**
 * One virtual browser: its own cookie jar, redirects followed by hand (so every hop can be checked
 * and timed), and a deadline per request so a stuck server fails a login instead of the run.
 * Like a browser's, the jar ignores the port: the app and the emulator (both on localhost) share it.
 */
export class VirtualBrowser {
  readonly jar = new CookieJar();

  constructor(private readonly timeoutMs: number) {}

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.getCookieStringSync(url);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(this.timeoutMs) });
    // A cookie the jar refuses is dropped, as a browser drops it.
    for (const setCookie of response.headers.getSetCookie()) this.jar.setCookieSync(setCookie, url, { ignoreError: true });
    return response;
  }
}
