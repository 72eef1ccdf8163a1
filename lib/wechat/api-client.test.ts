import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { reloadEnv } from "@/lib/env";
import { callWechatApi, extractRid, WechatApiError, WechatTransportError } from "./api-client";

/** A stand-in api.weixin.qq.com whose next reply each test sets. */
let reply: (url: URL) => { status?: number; body: string; contentType?: string; hang?: boolean };
let server: Server;
let logged: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = reply(new URL(req.url ?? "/", "http://x"));
    if (answer.hang) return;
    res.writeHead(answer.status ?? 200, { "content-type": answer.contentType ?? "text/plain" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  vi.stubEnv("WECHAT_API_BASE_URL", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  vi.stubEnv("WECHAT_HTTP_TIMEOUT_MS", "300");
  reloadEnv();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  reloadEnv();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  logged = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void logged.push(line));
  vi.spyOn(console, "log").mockImplementation((line: string) => void logged.push(line));
});

const schema = z.object({ openid: z.string() });
const secretParams = { appid: "wx0123456789abcdef", secret: "TOP-SECRET-VALUE", code: "ONE-TIME-CODE-123", grant_type: "authorization_code" };

describe("callWechatApi", () => {
  it("reads JSON labelled text/plain, as /sns/* sends it", async () => {
    reply = () => ({ body: '{"openid":"oABC"}', contentType: "text/plain" });
    await expect(callWechatApi("/sns/userinfo", {}, schema)).resolves.toEqual({ openid: "oABC" });
  });

  it("turns an HTTP 200 errcode body into a typed error with the rid, and logs no secret", async () => {
    reply = () => ({ body: '{"errcode":40029,"errmsg":"invalid code, rid: 645ca8fe-448ccd42-1a78a4b0"}' });
    const error = await callWechatApi("/sns/oauth2/access_token", secretParams, schema).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WechatApiError);
    expect(error).toMatchObject({ errcode: 40029, rid: "645ca8fe-448ccd42-1a78a4b0" });
    const log = logged.join("\n");
    expect(log).toContain('"errcode":40029');
    expect(log).toContain("645ca8fe-448ccd42-1a78a4b0");
    expect(log).not.toContain("TOP-SECRET-VALUE");
    expect(log).not.toContain("ONE-TIME-CODE-123");
  });

  it("sends the documented GET query", async () => {
    let seen: URL | undefined;
    reply = (url) => {
      seen = url;
      return { body: '{"openid":"o1"}' };
    };
    await callWechatApi("/sns/oauth2/access_token", secretParams, schema);
    expect(seen?.pathname).toBe("/sns/oauth2/access_token");
    expect(Object.fromEntries(seen!.searchParams)).toEqual(secretParams);
  });

  it.each([
    ["a timeout", () => ({ body: "", hang: true }), "timeout"],
    ["a 502", () => ({ status: 502, body: "<html>Bad Gateway</html>" }), "http_status"],
    ["a body that is not JSON", () => ({ body: "<html>oops" }), "malformed"],
    ["a body of the wrong shape", () => ({ body: '{"nickname":1}' }), "malformed"],
  ] as const)("reports %s as a transport error without leaking secrets", async (_name, answer, kind) => {
    reply = answer;
    const error = await callWechatApi("/sns/oauth2/access_token", secretParams, schema).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WechatTransportError);
    expect((error as WechatTransportError).kind).toBe(kind);
    expect(logged.join("\n")).not.toMatch(/TOP-SECRET-VALUE|ONE-TIME-CODE-123/);
  });
});

describe("extractRid", () => {
  it.each([
    ["invalid code, rid: 645ca8fe-448ccd42-1a78a4b0", "645ca8fe-448ccd42-1a78a4b0"],
    ["invalid code, hints: [ req_id: AbC123 ]", "AbC123"],
    ["invalid code hint: [xYz789]", "xYz789"],
    ["invalid code", undefined],
  ])("reads %s", (errmsg, rid) => {
    expect(extractRid(errmsg)).toBe(rid);
  });
});
