import { describe, expect, it } from "vitest";
import { openidFor, WEB_APP } from "./config";
import { callControl, callSns, obtainCode, obtainTokens, useEmulatorServer } from "./test-helpers";

const server = useEmulatorServer();

function addFault(fault: Record<string, unknown>) {
  return callControl<{ id: number; remaining: number }>(server.url, "faults", fault);
}

function exchangeParams(code: string): Record<string, string> {
  return { appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" };
}

describe("faults", () => {
  it("answers the next N calls with an errcode from the A5 table, without consuming the code", async () => {
    const added = await addFault({ endpoint: "sns/oauth2/access_token", times: 2, errcode: 45011 });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ endpoint: "sns/oauth2/access_token", remaining: 2 });

    const code = await obtainCode(server.url);
    for (let i = 0; i < 2; i++) {
      const response = await callSns(server.url, "oauth2/access_token", exchangeParams(code));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain");
      expect(response.body.errcode).toBe(45011);
      expect(response.body.errmsg).toMatch(/^api minute-quota reach limit, must slower, retry next minute, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    }
    const third = await callSns(server.url, "oauth2/access_token", exchangeParams(code));
    expect(third.body.openid).toBe(openidFor(WEB_APP.appid, "lin"));
    expect((await callControl<unknown[]>(server.url, "faults")).body).toEqual([]);
  });

  it("lists pending faults and consumes them one per call, only on their endpoint", async () => {
    await addFault({ endpoint: "/sns/userinfo", errcode: -1, times: 3 });
    await addFault({ endpoint: "sns/auth", errcode: 40001 });
    const tokens = await obtainTokens(server.url);

    const auth = await callSns(server.url, "auth", { access_token: tokens.access_token, openid: tokens.openid });
    expect(auth.body.errcode).toBe(40001);
    const info = await callSns(server.url, "userinfo", { access_token: tokens.access_token, openid: tokens.openid });
    expect(info.body).toMatchObject({ errcode: -1, errmsg: expect.stringMatching(/^system error, rid: /) });

    const pending = await callControl<{ endpoint: string; remaining: number }[]>(server.url, "faults");
    expect(pending.body).toEqual([expect.objectContaining({ endpoint: "sns/userinfo", remaining: 2, errcode: -1 })]);

    const cleared = await callControl(server.url, "faults", undefined, "DELETE");
    expect(cleared.body).toEqual([]);
    const healthy = await callSns(server.url, "userinfo", { access_token: tokens.access_token, openid: tokens.openid });
    expect(healthy.body.nickname).toBe("林晓");
  });

  it("answers status faults with an HTML body and that HTTP status", async () => {
    await addFault({ endpoint: "sns/oauth2/refresh_token", status: 502 });
    const tokens = await obtainTokens(server.url);
    const query = new URLSearchParams({ appid: WEB_APP.appid, grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    const response = await fetch(`${server.url}/sns/oauth2/refresh_token?${query}`);
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("<h1>502 Bad Gateway</h1>");

    const retry = await fetch(`${server.url}/sns/oauth2/refresh_token?${query}`);
    expect(JSON.parse(await retry.text())).toMatchObject({ access_token: tokens.access_token });
  });

  it("answers malformed faults with HTTP 200 text/plain that is not JSON", async () => {
    await addFault({ endpoint: "sns/userinfo", malformed: true });
    const tokens = await obtainTokens(server.url);
    const response = await fetch(`${server.url}/sns/userinfo?${new URLSearchParams({ access_token: tokens.access_token, openid: tokens.openid })}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain");
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it("never answers a timeout fault; the next call works", async () => {
    await addFault({ endpoint: "sns/auth", timeout: true });
    const tokens = await obtainTokens(server.url);
    const url = `${server.url}/sns/auth?${new URLSearchParams({ access_token: tokens.access_token, openid: tokens.openid })}`;
    const started = Date.now();
    await expect(fetch(url, { signal: AbortSignal.timeout(400) })).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(JSON.parse(await (await fetch(url)).text())).toEqual({ errcode: 0, errmsg: "ok" });
  });

  it("delays a delayMs fault and then answers normally", async () => {
    await addFault({ endpoint: "sns/oauth2/access_token", delayMs: 400 });
    const code = await obtainCode(server.url);
    const started = Date.now();
    const response = await callSns(server.url, "oauth2/access_token", exchangeParams(code));
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(response.body.openid).toBe(openidFor(WEB_APP.appid, "lin"));
  });

  it("can combine a delay with an errcode", async () => {
    await addFault({ endpoint: "sns/oauth2/access_token", delayMs: 200, errcode: 40029, errmsg: "custom text" });
    const started = Date.now();
    const response = await callSns(server.url, "oauth2/access_token", exchangeParams("x"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(response.body.errmsg).toMatch(/^custom text, rid: /);
  });

  it("rejects ambiguous or empty fault specs", async () => {
    expect((await addFault({ endpoint: "sns/auth" })).status).toBe(400);
    expect((await addFault({ endpoint: "sns/auth", errcode: 1, status: 502 })).status).toBe(400);
    expect((await addFault({ endpoint: "sns/auth", status: 200 })).status).toBe(400);
    expect((await addFault({ endpoint: "sns/auth", timeout: false })).status).toBe(400);
    expect((await addFault({ endpoint: "sns/auth", errcode: 1, times: 0 })).status).toBe(400);
    expect((await callControl<unknown[]>(server.url, "faults")).body).toEqual([]);
  });
});
