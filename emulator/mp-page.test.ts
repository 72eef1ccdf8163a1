import { describe, expect, it } from "vitest";
import { MP_APP, MP_UNRELEASED_APP, WEB_APP } from "./config";
import { callControl, useEmulatorServer } from "./test-helpers";

const server = useEmulatorServer({}, { resetEach: false });

describe("the mini-program page on the phone", () => {
  it("serves a demo mini program's login page with the launch, the user and a strict CSP", async () => {
    const response = await fetch(`${server.url}/mp/${MP_APP.appid}/pages/login/login?scene=abc%3D1&env_version=release&user=zhang&lang=en`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('lang="en"');
    expect(html).toContain("Demo Mini Program");
    expect(html).toContain('data-testid="mp-user"');
    expect(html).toContain('<option value="zhang" selected>');
    const config = JSON.parse(/<script type="application\/json" id="mp-config">([\s\S]*?)<\/script>/.exec(html)![1]!) as Record<string, unknown>;
    expect(config).toMatchObject({ appid: MP_APP.appid, page: "pages/login/login", query: { scene: "abc=1" }, launchScene: 1047, user: "zhang", lang: "en" });

    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).toContain("connect-src 'self' http://localhost:3000");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("takes a URL Link's launch scene and falls back to lin for an unknown user", async () => {
    const html = await (await fetch(`${server.url}/mp/${MP_UNRELEASED_APP.appid}/pages/login/login?scene=T1&launch_scene=1194&user=nobody`)).text();
    const config = JSON.parse(/id="mp-config">([\s\S]*?)<\/script>/.exec(html)![1]!) as Record<string, unknown>;
    expect(config).toMatchObject({ launchScene: 1194, user: "lin", lang: "cn", query: { scene: "T1" } });
    expect(html).toContain('lang="zh-CN"');
  });

  it("answers 404 for an unknown appid, a website appid and a page the mini program does not have", async () => {
    for (const path of ["wx0000000000000000/pages/login/login", `${WEB_APP.appid}/pages/login/login`, `${MP_APP.appid}/pages/index/index`, MP_APP.appid]) {
      const response = await fetch(`${server.url}/mp/${path}?scene=x`);
      expect(response.status, path).toBe(404);
      expect(await response.text()).toContain('data-state="unknown"');
    }
  });

  it("serves the runtime and the mini program's sources as JavaScript, and config.js from the mpApiOrigin setting", async () => {
    for (const file of ["runtime.js", "pages/login/login.js", "i18n.js", "config.js"]) {
      const response = await fetch(`${server.url}/mp-runtime/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get("content-type"), file).toBe("text/javascript; charset=utf-8");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(await (await fetch(`${server.url}/mp-runtime/runtime.js`)).text()).toContain("export function createMiniProgram");
    expect(await (await fetch(`${server.url}/mp-runtime/pages/login/login.js`)).text()).toContain("Page({");
    expect(await (await fetch(`${server.url}/mp-runtime/config.js`)).text()).toBe('module.exports = {"apiOrigin":"http://localhost:3000"};\n');
    expect((await fetch(`${server.url}/mp-runtime/../package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/mp-runtime/app.js`)).status).toBe(404);

    expect((await callControl(server.url, "settings", { mpApiOrigin: "http://localhost:3300/" })).body).toMatchObject({ mpApiOrigin: "http://localhost:3300" });
    expect(await (await fetch(`${server.url}/mp-runtime/config.js`)).text()).toBe('module.exports = {"apiOrigin":"http://localhost:3300"};\n');
    const page = await fetch(`${server.url}/mp/${MP_APP.appid}/pages/login/login?scene=x`);
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self' http://localhost:3300");
    expect((await callControl(server.url, "settings", { mpApiOrigin: "ftp://x" })).status).toBe(400);
    await callControl(server.url, "reset", {});
    expect((await callControl(server.url, "settings")).body).toMatchObject({ mpApiOrigin: "http://localhost:3000" });
  });

  it("the /phone list links an issued code to its page", async () => {
    const token = (await (await fetch(`${server.url}/cgi-bin/token?grant_type=client_credential&appid=${MP_APP.appid}&secret=${MP_APP.secret}`)).json()) as {
      access_token: string;
    };
    const code = await fetch(`${server.url}/wxa/getwxacodeunlimit?access_token=${token.access_token}`, {
      method: "POST",
      body: JSON.stringify({ scene: "k=1&t=2", page: "pages/login/login" }),
    });
    expect(code.headers.get("content-type")).toBe("image/jpeg");
    const list = await (await fetch(`${server.url}/phone`)).text();
    const href = /href="([^"]*\/mp\/[^"]+)"/.exec(list)?.[1]?.replaceAll("&amp;", "&");
    expect(href).toBe(`${server.url}/mp/${MP_APP.appid}/pages/login/login?scene=k%3D1%26t%3D2&env_version=release`);
    const page = await fetch(href!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('"query":{"scene":"k=1&t=2"}');
  });
});
