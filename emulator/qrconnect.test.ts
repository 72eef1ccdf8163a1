import vm from "node:vm";
import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { OA_APP, WEB2_APP, WEB_APP } from "./config";
import { QR_IMAGE_OPTIONS } from "./qrconnect";
import { buildQrconnectUrl, CALLBACK_URL, callControl, openQr, useEmulatorServer } from "./test-helpers";

const PHONE_URL = "http://192.0.2.10:3100";

const server = useEmulatorServer({ phoneUrl: PHONE_URL });

/** The text a user sees in the body: no markup, scripts, styles or title. */
function visibleText(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/.exec(html)?.[1] ?? "";
  return body
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

async function getQrconnect(params: Record<string, string>): Promise<{ status: number; html: string; type: string | null }> {
  const response = await fetch(buildQrconnectUrl(server.url, params));
  return { status: response.status, html: await response.text(), type: response.headers.get("content-type") };
}

const VALID = { appid: WEB_APP.appid, scope: "snsapi_login", redirect_uri: CALLBACK_URL, state: "xyz" };

type Poll = { errcode: number; code: string; ms: number };

async function longPoll(uuid: string, last?: number): Promise<Poll> {
  const started = Date.now();
  const query = new URLSearchParams({ uuid, ...(last === undefined ? {} : { last: String(last) }), _: String(started) });
  const response = await fetch(`${server.url}/connect/l/qrconnect?${query}`);
  expect(response.headers.get("content-type")).toContain("text/javascript");
  const body = await response.text();
  const match = /^window\.wx_errcode=(\d+);window\.wx_code='([^']*)';$/.exec(body);
  if (!match) throw new Error(`unexpected long-poll body: ${body}`);
  return { errcode: Number(match[1]), code: match[2] ?? "", ms: Date.now() - started };
}

describe("qrconnect validation", () => {
  it("renders WeChat's error texts as the only page text", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ...VALID, appid: "wx0000000000000000" }, "appid 参数错误"],
      [{ ...VALID, appid: "" }, "appid 参数错误"],
      [{ ...VALID, appid: OA_APP.appid }, "Scope 参数错误或没有 Scope 权限"],
      [{ ...VALID, scope: "snsapi_userinfo" }, "Scope 参数错误或没有 Scope 权限"],
      [{ ...VALID, scope: "snsapi_login,snsapi_userinfo" }, "Scope 参数错误或没有 Scope 权限"],
      [{ ...VALID, scope: "" }, "Scope 参数错误或没有 Scope 权限"],
      [{ ...VALID, redirect_uri: "http://localhost:3001/api/auth/callback/wechat" }, "redirect_uri 参数错误"],
      [{ ...VALID, redirect_uri: "http://localhost/api/auth/callback/wechat" }, "redirect_uri 参数错误"],
      [{ ...VALID, redirect_uri: "http://sub.localhost:3000/cb" }, "redirect_uri 参数错误"],
      [{ ...VALID, redirect_uri: "http://evil.example/cb?x=localhost:3000" }, "redirect_uri 参数错误"],
      [{ ...VALID, redirect_uri: "/relative/path" }, "redirect_uri 参数错误"],
      [{ ...VALID, redirect_uri: "" }, "redirect_uri 参数错误"],
    ];
    for (const [params, message] of cases) {
      const page = await getQrconnect(params);
      expect(page.status).toBe(200);
      expect(page.type).toContain("text/html");
      expect(visibleText(page.html), JSON.stringify(params)).toBe(message);
      expect(page.html).not.toContain('id="wx-qr"');
    }
    expect(await callControl(server.url, "qr")).toMatchObject({ body: [] });
  });

  it("rejects the OA appid even with the right scope, and accepts both website apps", async () => {
    expect(visibleText((await getQrconnect({ ...VALID, appid: OA_APP.appid })).html)).toBe("Scope 参数错误或没有 Scope 权限");
    for (const appid of [WEB_APP.appid, WEB2_APP.appid]) {
      expect((await getQrconnect({ ...VALID, appid })).html).toContain('id="wx-qr"');
    }
  });

  it("needs no response_type and ignores the extra parameters Auth.js sends", async () => {
    const page = await getQrconnect({
      ...VALID,
      response_type: "code",
      client_id: WEB_APP.appid,
      code_challenge_method: "S256",
      unknown: "1",
    });
    expect(page.html).toContain('id="wx-qr"');
    const withoutResponseType = await getQrconnect(VALID);
    expect(withoutResponseType.html).toContain('id="wx-qr"');
  });

  it("follows the callbackDomains setting", async () => {
    const other = { ...VALID, redirect_uri: "https://app.example.com:8443/cb" };
    expect(visibleText((await getQrconnect(other)).html)).toBe("redirect_uri 参数错误");
    await callControl(server.url, "settings", { callbackDomains: ["app.example.com:8443"] });
    expect((await getQrconnect(other)).html).toContain('id="wx-qr"');
    expect(visibleText((await getQrconnect(VALID)).html)).toBe("redirect_uri 参数错误");
  });
});

describe("qrconnect page", () => {
  it("shows the Chinese page with the app name, QR image and status line", async () => {
    const { uuid, html } = await openQr(server.url, { state: "s1" });
    expect(uuid).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(html).toContain("<title>微信登录</title>");
    expect(html).toContain(`<img id="wx-qr" class="qrcode lightBorder" data-uuid="${uuid}" src="/connect/qrcode/${uuid}"`);
    expect(html).toMatch(/<p id="wx-status" data-status="waiting">使用微信扫一扫登录<\/p>/);
    expect(html).toContain("“Demo Website”");
    expect(html).toContain('class="layout-page"');

    const session = await callControl(server.url, `qr/${uuid}`);
    expect(session.body).toMatchObject({ uuid, appid: WEB_APP.appid, status: "waiting", state: "s1", redirectUri: CALLBACK_URL, selfRedirect: false });
    const expiresIn = Date.parse(String(session.body.expiresAt)) - Date.parse(String(session.body.createdAt));
    expect(expiresIn).toBe(300_000);
  });

  it("speaks English with lang=en", async () => {
    const { html } = await openQr(server.url, { lang: "en", appid: WEB2_APP.appid });
    expect(html).toContain("<title>WeChat Login</title>");
    expect(html).toContain(">Scan with WeChat to log in</p>");
    expect(html).toContain("“Demo Website (second brand)”");
    expect(html).toContain('<html lang="en">');
  });

  it("uses the compact iframe layout for login_type=jssdk, with style=white and an href stylesheet", async () => {
    const css = "data:text/css;base64,LmltcG93ZXJCb3ggLnRpdGxlIHtkaXNwbGF5Om5vbmV9";
    const { uuid, html } = await openQr(server.url, { login_type: "jssdk", self_redirect: "true", style: "white", href: css });
    expect(html).toContain('class="layout-jssdk style-white"');
    expect(html).toContain(`<link rel="stylesheet" href="${css}">`);
    expect((await callControl(server.url, `qr/${uuid}`)).body).toMatchObject({ selfRedirect: true, loginType: "jssdk" });

    const lite = await openQr(server.url, { login_type: "jssdk", stylelite: "1", href: css });
    expect(lite.html).toContain('class="layout-lite"');
    expect(lite.html).not.toContain('<link rel="stylesheet"');

    const script = await openQr(server.url, { login_type: "jssdk", href: "javascript:alert(1)" });
    expect(script.html).not.toContain("javascript:alert");

    const fullPage = await openQr(server.url, { style: "white", href: css });
    expect(fullPage.html).toContain('class="layout-page"');
    expect(fullPage.html).not.toContain('<link rel="stylesheet"');
  });

  it("treats self_redirect=false and default as top-window redirects", async () => {
    for (const value of ["false", "default"]) {
      const { uuid } = await openQr(server.url, { login_type: "jssdk", self_redirect: value });
      expect((await callControl(server.url, `qr/${uuid}`)).body.selfRedirect).toBe(false);
    }
  });

  it("answers f=xml with the uuid", async () => {
    const page = await getQrconnect({ ...VALID, f: "xml" });
    expect(page.type).toContain("text/xml");
    const uuid = /<uuid><!\[CDATA\[([^\]]+)\]\]><\/uuid>/.exec(page.html)?.[1];
    expect(uuid).toBeTruthy();
    expect((await callControl(server.url, `qr/${uuid}`)).body.status).toBe("waiting");
  });

  it("serves a PNG QR encoding the phone page URL, and 404 for unknown uuids", async () => {
    const { uuid } = await openQr(server.url);
    const response = await fetch(`${server.url}/connect/qrcode/${uuid}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const png = Buffer.from(await response.arrayBuffer());
    const expected = await QRCode.toBuffer(`${PHONE_URL}/connect/confirm?uuid=${uuid}`, QR_IMAGE_OPTIONS);
    expect(png.equals(expected)).toBe(true);

    expect((await fetch(`${server.url}/connect/qrcode/doesnotexist`)).status).toBe(404);
  });

  it("mints a new QR for every load, so the refresh link gives a fresh code", async () => {
    const first = await openQr(server.url);
    const second = await openQr(server.url);
    expect(second.uuid).not.toBe(first.uuid);
  });
});

describe("long-poll /connect/l/qrconnect", () => {
  it("holds a waiting QR for the long-poll window, then answers 408", async () => {
    await callControl(server.url, "settings", { longPollMs: 300 });
    const { uuid } = await openQr(server.url);
    const poll = await longPoll(uuid);
    expect(poll).toMatchObject({ errcode: 408, code: "" });
    expect(poll.ms).toBeGreaterThanOrEqual(250);
  });

  it("walks 404 (scanned), then 405 with the code once confirmed during a held request", async () => {
    const { uuid } = await openQr(server.url);
    await callControl(server.url, `qr/${uuid}/scan`, { user: "zhang" });
    expect((await longPoll(uuid)).errcode).toBe(404);

    const held = longPoll(uuid, 404);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const confirmed = await callControl<{ code: string }>(server.url, `qr/${uuid}/confirm`, { user: "zhang" });
    const poll = await held;
    expect(poll.errcode).toBe(405);
    expect(poll.code).toBe(confirmed.body.code);
    expect(poll.ms).toBeGreaterThanOrEqual(100);
  });

  it("answers 403 when the user cancels, and 404 again after a rescan", async () => {
    const { uuid } = await openQr(server.url);
    const held = longPoll(uuid);
    await callControl(server.url, `qr/${uuid}/cancel`, {});
    expect((await held).errcode).toBe(403);
    await callControl(server.url, `qr/${uuid}/scan`, { user: "lin" });
    expect((await longPoll(uuid, 403)).errcode).toBe(404);
  });

  it("answers 402 when the TTL runs out while a request is held", async () => {
    await callControl(server.url, "settings", { qrTtlSeconds: 0.4 });
    const { uuid } = await openQr(server.url);
    const poll = await longPoll(uuid);
    expect(poll.errcode).toBe(402);
    expect(poll.ms).toBeGreaterThanOrEqual(300);
    expect((await callControl(server.url, `qr/${uuid}`)).body.status).toBe("expired");
  });

  it("answers 402 when the emulator clock jumps past the TTL", async () => {
    const { uuid } = await openQr(server.url);
    const held = longPoll(uuid);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await callControl(server.url, "clock", { advanceSeconds: 301 });
    expect((await held).errcode).toBe(402);
  });

  it("answers 402 for expire via the control API and for unknown uuids", async () => {
    const { uuid } = await openQr(server.url);
    await callControl(server.url, `qr/${uuid}/expire`, {});
    expect((await longPoll(uuid)).errcode).toBe(402);
    expect((await longPoll("unknown-uuid-0000")).errcode).toBe(402);
  });
});

type FakeElement = {
  id: string;
  textContent: string;
  attributes: Record<string, string>;
  children: FakeElement[];
  href?: string;
  setAttribute(name: string, value: string): void;
  appendChild(child: FakeElement): void;
};

function createFakeElement(id = ""): FakeElement {
  return {
    id,
    textContent: "",
    attributes: {},
    children: [],
    setAttribute(name, value) {
      this.attributes[name] = value;
    },
    appendChild(child) {
      this.children.push(child);
      this.textContent += child.textContent;
    },
  };
}

/**
 * Runs the QR page's own inline script against a fake DOM with real fetch calls to the emulator and
 * records where it navigates, to test the browser side without a browser.
 */
function runQrPageScript(html: string) {
  const configJson = /<script type="application\/json" id="wx-config">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
  const elements = new Map<string, FakeElement>();
  const navigations: { target: "self" | "top"; url: string }[] = [];
  let stopped = false;
  const document = {
    getElementById: (id: string) => {
      if (id === "wx-config") return { textContent: configJson };
      const element = elements.get(id) ?? createFakeElement(id);
      elements.set(id, element);
      return element;
    },
    createElement: () => createFakeElement(),
  };
  const window = {
    location: {
      set href(url: string) {
        navigations.push({ target: "self", url });
      },
    },
    top: {
      location: {
        set href(url: string) {
          navigations.push({ target: "top", url });
        },
      },
    },
  };
  const pageFetch = (url: string, init?: RequestInit) => (stopped ? new Promise<Response>(() => undefined) : fetch(new URL(url, server.url), init));
  vm.runInNewContext(script, { window, document, fetch: pageFetch, setTimeout, Date, JSON, Number, encodeURIComponent, Error });
  return {
    navigations,
    status: () => elements.get("wx-status"),
    stop: () => {
      stopped = true;
    },
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("qrconnect page script", () => {
  it("shows the scanned text, then sends the top window to redirect_uri?code&state", async () => {
    const { uuid, html } = await openQr(server.url, { state: "a b&c" });
    const page = runQrPageScript(html);
    await callControl(server.url, `qr/${uuid}/scan`, { user: "lin" });
    await waitFor(() => page.status()?.textContent === "扫描成功，请在微信中点击确认即可登录");

    const confirmed = await callControl<{ code: string; redirect: string }>(server.url, `qr/${uuid}/confirm`, { user: "lin" });
    await waitFor(() => page.navigations.length > 0);
    const expected = `${CALLBACK_URL}?code=${confirmed.body.code}&state=a%20b%26c`;
    expect(page.navigations).toEqual([{ target: "top", url: expected }]);
    expect(confirmed.body.redirect).toBe(expected);
  });

  it("navigates the iframe itself with self_redirect=true and appends with & to a query", async () => {
    const redirectUri = `${CALLBACK_URL}?next=%2Faccount`;
    const { uuid, html } = await openQr(server.url, { login_type: "jssdk", self_redirect: "true", redirect_uri: redirectUri, state: "" });
    const page = runQrPageScript(html);
    const confirmed = await callControl<{ code: string }>(server.url, `qr/${uuid}/confirm`, { user: "wang" });
    await waitFor(() => page.navigations.length > 0);
    expect(page.navigations).toEqual([{ target: "self", url: `${redirectUri}&code=${confirmed.body.code}&state=` }]);
  });

  it("redirects with state only on cancel by default", async () => {
    const { uuid, html } = await openQr(server.url, { state: "s9" });
    const page = runQrPageScript(html);
    const cancelled = await callControl(server.url, `qr/${uuid}/cancel`, {});
    await waitFor(() => page.navigations.length > 0);
    expect(page.navigations).toEqual([{ target: "top", url: `${CALLBACK_URL}?state=s9` }]);
    expect(cancelled.body.redirect).toBe(`${CALLBACK_URL}?state=s9`);
  });

  it("only shows the cancelled text with refusal=none", async () => {
    await callControl(server.url, "settings", { refusal: "none" });
    const { uuid, html } = await openQr(server.url, { lang: "en" });
    const page = runQrPageScript(html);
    const cancelled = await callControl(server.url, `qr/${uuid}/cancel`, {});
    expect(cancelled.body.redirect).toBeUndefined();
    await waitFor(() => page.status()?.textContent === "You cancelled this login. Scan again");
    await callControl(server.url, `qr/${uuid}/expire`, {});
    await waitFor(() => page.status()?.attributes["data-status"] === "expired");
    page.stop();
    expect(page.navigations).toEqual([]);
  });

  it("shows the expired text with a refresh link to the same qrconnect URL", async () => {
    await callControl(server.url, "settings", { qrTtlSeconds: 0.3 });
    const { html } = await openQr(server.url, { state: "keep-me" });
    const page = runQrPageScript(html);
    await waitFor(() => page.status()?.attributes["data-status"] === "expired");
    const status = page.status();
    expect(status?.textContent).toBe("二维码已失效，点击刷新");
    const link = status?.children[0];
    expect(link?.id).toBe("wx-refresh");
    expect(link?.href).toMatch(/^\/connect\/qrconnect\?.*state=keep-me/);
    expect(page.navigations).toEqual([]);
  });
});

describe("wxLogin.js", () => {
  it("is served cross-origin and uncached", async () => {
    const response = await fetch(`${server.url}/connect/zh_CN/htmledition/js/wxLogin.js`, { headers: { origin: "http://localhost:3000" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type")).toContain("javascript");
  });

  async function runWxLogin(options: Record<string, unknown>) {
    const source = await (await fetch(`${server.url}/connect/zh_CN/htmledition/js/wxLogin.js`)).text();
    const container = {
      innerHTML: "<p>old</p>",
      children: [] as Record<string, unknown>[],
      appendChild(child: Record<string, unknown>) {
        this.children.push(child);
      },
    };
    const document = {
      createElement: (tag: string) => ({ tagName: tag.toUpperCase() }),
      getElementById: (id: string) => (id === "login_container" ? container : null),
    };
    const window: Record<string, unknown> = {};
    vm.runInNewContext(`${source}\nnew window.WxLogin(options);`, { window, document, options: { id: "login_container", ...options } });
    return container;
  }

  it("builds WeChat's iframe, concatenating values without encoding", async () => {
    const redirect = encodeURIComponent(CALLBACK_URL);
    const container = await runWxLogin({ appid: WEB_APP.appid, scope: "snsapi_login", redirect_uri: redirect, state: "st" });
    expect(container.innerHTML).toBe("");
    expect(container.children).toHaveLength(1);
    expect(container.children[0]).toEqual({
      tagName: "IFRAME",
      src: `${server.url}/connect/qrconnect?appid=${WEB_APP.appid}&scope=snsapi_login&redirect_uri=${redirect}&state=st&login_type=jssdk&self_redirect=default&styletype=&sizetype=&bgcolor=&rst=`,
      frameBorder: "0",
      allowTransparency: "true",
      scrolling: "no",
      width: "300px",
      height: "400px",
    });
  });

  it("adds the optional parameters exactly as the real script does", async () => {
    const container = await runWxLogin({
      appid: WEB_APP.appid,
      scope: "snsapi_login",
      redirect_uri: "x",
      self_redirect: true,
      style: "white",
      href: "https://cdn.example/wx.css",
      lang: "en",
      stylelite: 1,
      fast_login: 0,
    });
    expect(container.children[0]?.src).toBe(
      `${server.url}/connect/qrconnect?appid=${WEB_APP.appid}&scope=snsapi_login&redirect_uri=x&state=undefined&login_type=jssdk&self_redirect=true&styletype=&sizetype=&bgcolor=&rst=&style=white&href=https://cdn.example/wx.css&lang=en&stylelite=1&fast_login=0`,
    );
    const stringly = await runWxLogin({ appid: "a", scope: "s", redirect_uri: "r", self_redirect: false, stylelite: "1", fast_login: "0" });
    expect(stringly.children[0]?.src).toMatch(/self_redirect=false&styletype=&sizetype=&bgcolor=&rst=$/);
  });

  it("produces an iframe URL the emulator accepts", async () => {
    const container = await runWxLogin({ appid: WEB_APP.appid, scope: "snsapi_login", redirect_uri: encodeURIComponent(CALLBACK_URL), state: "st" });
    const page = await fetch(String(container.children[0]?.src));
    const html = await page.text();
    expect(html).toContain('id="wx-qr"');
    expect(html).toContain('class="layout-jssdk"');
  });
});

describe("phone pages", () => {
  it("renders the phone page with the app, the user picker and the buttons", async () => {
    const { uuid } = await openQr(server.url);
    const response = await fetch(`${server.url}/connect/confirm?uuid=${uuid}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('name="viewport"');
    expect(html).toContain(">Demo Website</h1>");
    const options = [...html.matchAll(/<option value="([^"]+)"[^>]*>([^<]+)<\/option>/g)].map((m) => [m[1], m[2]]);
    expect(options).toEqual([
      ["lin", "林晓 (unionid)"],
      ["zhang", "张伟 (unionid)"],
      ["wang", "王芳 (no unionid)"],
      ["chen", "Chen Jie (no unionid)"],
      ["li", "李娜 (unionid)"],
    ]);
    expect(html).toMatch(/id="phone-scan"[^>]*>扫一扫</);
    expect(html).toMatch(/id="phone-confirm"[^>]*>确认登录</);
    expect(html).toMatch(/id="phone-cancel"[^>]*>取消</);
    expect(html).toContain('id="phone-result"');
  });

  it("shows the final state for finished QR codes and 404 for unknown ones", async () => {
    const { uuid } = await openQr(server.url);
    await callControl(server.url, `qr/${uuid}/confirm`, { user: "lin" });
    const confirmed = await (await fetch(`${server.url}/connect/confirm?uuid=${uuid}`)).text();
    expect(confirmed).toMatch(/id="phone-result"[^>]*data-status="confirmed">已确认登录</);
    expect(confirmed).toMatch(/id="phone-confirm"[^>]*disabled/);

    const expired = await openQr(server.url, { lang: "en" });
    await callControl(server.url, `qr/${expired.uuid}/expire`, {});
    expect(await (await fetch(`${server.url}/connect/confirm?uuid=${expired.uuid}`)).text()).toContain(">QR code expired<");

    expect((await fetch(`${server.url}/connect/confirm?uuid=nope`)).status).toBe(404);
  });

  it("lists pending QR logins on /phone, newest first", async () => {
    const older = await openQr(server.url, { state: "older" });
    const newer = await openQr(server.url, { state: "newer", appid: WEB2_APP.appid });
    const done = await openQr(server.url, { state: "done" });
    await callControl(server.url, `qr/${done.uuid}/confirm`, { user: "lin" });

    const html = await (await fetch(`${server.url}/phone`)).text();
    const links = [...html.matchAll(/href="\/connect\/confirm\?uuid=([^"]+)"/g)].map((m) => m[1]);
    expect(links).toEqual([newer.uuid, older.uuid]);
    expect(html).toContain("Demo Website (second brand)");
  });

  it("serves an index page linking /phone", async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('href="/phone"');
    expect(html).toContain("/_emulator/qr/:uuid/confirm");
    expect(html).not.toContain(WEB_APP.secret);
  });

  it("serves avatars per WeChat size segment only", async () => {
    expect((await fetch(`${server.url}/avatar/zhang/0`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/avatar/chen/46`)).text()).toContain(">C<");
    expect((await fetch(`${server.url}/avatar/zhang/50`)).status).toBe(404);
    expect((await fetch(`${server.url}/avatar/li/132`)).status).toBe(404);
    expect((await fetch(`${server.url}/avatar/nobody/132`)).status).toBe(404);
  });
});
