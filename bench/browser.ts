import { CookieJar } from "./cookie-jar";

/**
 * One virtual browser: its own cookie jar, redirects followed by hand (so every hop can be checked
 * and timed), and a deadline per request so a stuck server fails a login instead of the run.
 */
export class VirtualBrowser {
  readonly jar = new CookieJar();

  constructor(private readonly timeoutMs: number) {}

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.headerFor(url);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(this.timeoutMs) });
    this.jar.store(url, response);
    return response;
  }
}
