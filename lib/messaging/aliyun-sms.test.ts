/**
 * The real Aliyun SDK (@alicloud/dysmsapi20170525 on @alicloud/openapi-core), up to and including
 * its HTTP request, with the request captured.
 *
 * The SDK does not take an HTTP agent, so the client is pointed with its own `endpoint` and
 * `protocol` settings at a local HTTP server (the only difference from production: that host
 * instead of dysmsapi.aliyuncs.com, plain HTTP instead of HTTPS). The test sees what Aliyun would:
 * method, path, the query with PhoneNumbers, SignName, TemplateCode and TemplateParam, the
 * x-acs-* headers (action, version, nonce, date, body hash) and the ACS3-HMAC-SHA256 Authorization,
 * re-computed here from the secret independently of the SDK. The server answers with canned
 * Aliyun bodies (OK, flow control, an illegal number, an HTTP 400 that quotes the request, a 503,
 * silence).
 */
import { createHash, createHmac } from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyAliyunCode, createAliyunSmsSender, toAliyunPhoneNumber } from "./aliyun-sms";
import type { AliyunSmsConfig } from "./config";
import { MessagingError } from "./errors";

const CONFIG: AliyunSmsConfig = {
  accessKeyId: "LTAI5tTestAccessKeyId00",
  accessKeySecret: "testAccessKeySecret0000000000",
  signName: "微信扫码登录",
  templateCode: "SMS_123456789",
};
const SMS = { to: "+8613800138000", code: "739104", ttlMinutes: 5, locale: "zh-CN" as const };

type Captured = { method: string; path: string; query: URLSearchParams; rawQuery: string; headers: IncomingHttpHeaders; body: string };
type Answer = { status?: number; json?: unknown; hang?: boolean };

let server: http.Server;
let endpoint = "";
let captured: Captured[] = [];
let answer: Answer = {};

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://placeholder");
      captured.push({
        method: request.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        rawQuery: url.search.slice(1),
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      if (answer.hang) return;
      response.writeHead(answer.status ?? 200, { "content-type": "application/json;charset=utf-8" });
      response.end(JSON.stringify(answer.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  endpoint = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  captured = [];
  answer = {};
});

function body(code: string, message: string) {
  return { RequestId: "F655A8D5-B967-440B-8683-DAD6FF8DE990", Message: message, BizId: code === "OK" ? "900619746936498440^0" : undefined, Code: code };
}

async function sendExpectingError(message = SMS, options: { timeoutMs?: number } = {}): Promise<MessagingError> {
  const sender = createAliyunSmsSender(CONFIG, { httpEndpoint: endpoint, ...options });
  const error = await sender.sendCode(message).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(MessagingError);
  return error as MessagingError;
}

/** RFC 3986 encoding as ACS3 wants it. */
function percent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** ACS3-HMAC-SHA256 as Aliyun documents it, from the request as received. */
function expectedAuthorization(request: Captured, accessKeyId: string, secret: string): string {
  const query = [...request.query.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${percent(key)}=${percent(value)}`)
    .join("&");
  const signed = Object.keys(request.headers)
    .filter((name) => name === "host" || name === "content-type" || name.startsWith("x-acs-"))
    .sort();
  const headers = signed.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join("");
  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  const canonical = [request.method, request.path, query, headers, signed.join(";"), bodyHash].join("\n");
  const toSign = `ACS3-HMAC-SHA256\n${createHash("sha256").update(canonical).digest("hex")}`;
  const signature = createHmac("sha256", secret).update(toSign).digest("hex");
  return `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signed.join(";")},Signature=${signature}`;
}

describe("Aliyun SMS sender", () => {
  it("sends SendSms 2017-05-25 with the national number, signature, template and {code}, signed with ACS3", async () => {
    answer = { json: body("OK", "OK") };
    const sender = createAliyunSmsSender(CONFIG, { httpEndpoint: endpoint });
    expect(sender.kind).toBe("aliyun");
    await sender.sendCode(SMS);

    expect(captured).toHaveLength(1);
    const request = captured[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/");
    expect(Object.fromEntries(request.query)).toEqual({
      PhoneNumbers: "13800138000",
      SignName: "微信扫码登录",
      TemplateCode: "SMS_123456789",
      TemplateParam: '{"code":"739104"}',
    });
    expect(request.body).toBe("");
    expect(request.headers.host).toBe(endpoint);
    expect(request.headers["x-acs-action"]).toBe("SendSms");
    expect(request.headers["x-acs-version"]).toBe("2017-05-25");
    expect(request.headers["x-acs-content-sha256"]).toBe(createHash("sha256").update("").digest("hex"));
    expect(request.headers["x-acs-signature-nonce"]).toMatch(/\S{8,}/);
    expect(request.headers.authorization).toBe(expectedAuthorization(request, CONFIG.accessKeyId, CONFIG.accessKeySecret));
    expect(JSON.stringify({ ...request, query: request.rawQuery })).not.toContain(CONFIG.accessKeySecret);
  });

  it("texts the moved-away notice through the notice template, and offers no notice without one", async () => {
    answer = { json: body("OK", "OK") };
    expect(createAliyunSmsSender(CONFIG, { httpEndpoint: endpoint }).sendNotice).toBeUndefined();
    const sender = createAliyunSmsSender({ ...CONFIG, noticeTemplateCode: "SMS_222222222" }, { httpEndpoint: endpoint });
    await sender.sendNotice!({ to: SMS.to, text: "ignored by the provider", params: { time: "2026年12月1日 22:03" } });
    expect(Object.fromEntries(captured[0]!.query)).toMatchObject({
      PhoneNumbers: "13800138000",
      TemplateCode: "SMS_222222222",
      TemplateParam: '{"time":"2026年12月1日 22:03"}',
    });
  });

  it("writes international numbers with the country code and no +", async () => {
    answer = { json: body("OK", "OK") };
    await createAliyunSmsSender(CONFIG, { httpEndpoint: endpoint }).sendCode({ ...SMS, to: "+85291234567" });
    expect(captured[0]!.query.get("PhoneNumbers")).toBe("85291234567");
    expect(toAliyunPhoneNumber("+8613800138000")).toBe("13800138000");
    expect(toAliyunPhoneNumber("+16502530000")).toBe("16502530000");
  });

  it("maps flow control to rejected / rate_limited", async () => {
    answer = { json: body("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5") };
    const error = await sendExpectingError();
    expect(error).toMatchObject({ code: "rejected", reason: "rate_limited", providerCode: "isv.BUSINESS_LIMIT_CONTROL" });
    expect(error.detail).toContain("F655A8D5-B967-440B-8683-DAD6FF8DE990");
  });

  it("maps an illegal number to rejected / invalid_recipient", async () => {
    answer = { json: body("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号") };
    expect(await sendExpectingError()).toMatchObject({ code: "rejected", reason: "invalid_recipient" });
  });

  it("maps an unapproved template to misconfigured and an empty balance to unavailable", async () => {
    answer = { json: body("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)") };
    expect(await sendExpectingError()).toMatchObject({ code: "misconfigured" });
    answer = { json: body("isv.AMOUNT_NOT_ENOUGH", "账户余额不足") };
    expect(await sendExpectingError()).toMatchObject({ code: "unavailable" });
  });

  it("maps an HTTP 400 to misconfigured, and keeps the code it quotes out of the error", async () => {
    const quoted = `POST&%2F&PhoneNumbers%3D13800138000%26TemplateParam%3D%257B%2522code%2522%253A%2522${SMS.code}%2522%257D`;
    answer = {
      status: 400,
      json: {
        RequestId: "7B1B5B2E-7F1E-4E31-9D6A-3C1A7A3E6C11",
        Code: "SignatureDoesNotMatch",
        Message: `Specified signature is not matched with our calculation. server string to sign is:${quoted}`,
      },
    };
    const error = await sendExpectingError();
    expect(error).toMatchObject({ code: "misconfigured", providerCode: "SignatureDoesNotMatch" });
    expect(`${error.message} ${error.detail} ${JSON.stringify(error)}`).not.toMatch(new RegExp(`${SMS.code}|13800138000`));
  });

  it("maps an HTTP 5xx and a silent server to unavailable", async () => {
    answer = { status: 503, json: { RequestId: "x", Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server." } };
    expect(await sendExpectingError()).toMatchObject({ code: "unavailable", providerCode: "ServiceUnavailable" });

    answer = { hang: true };
    const startedAt = Date.now();
    const error = await sendExpectingError(SMS, { timeoutMs: 300 });
    expect(error.code).toBe("unavailable");
    expect(error.detail).toMatch(/transport/);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });

  it("refuses a number that is not E.164 without calling Aliyun", async () => {
    expect(await sendExpectingError({ ...SMS, to: "13800138000" })).toMatchObject({ code: "rejected", reason: "invalid_recipient" });
    expect(captured).toHaveLength(0);
  });

  it("classifies Aliyun's codes", () => {
    expect(classifyAliyunCode("isv.DAY_LIMIT_CONTROL")).toEqual({ code: "rejected", reason: "rate_limited" });
    expect(classifyAliyunCode("isv.BLACK_KEY_CONTROL_LIMIT")).toEqual({ code: "misconfigured" });
    expect(classifyAliyunCode("isv.SMS_SIGNATURE_ILLEGAL")).toEqual({ code: "misconfigured" });
    expect(classifyAliyunCode("isp.RAM_PERMISSION_DENY")).toEqual({ code: "misconfigured" });
    expect(classifyAliyunCode("isp.SYSTEM_ERROR")).toEqual({ code: "unavailable" });
    expect(classifyAliyunCode("Throttling.User")).toEqual({ code: "unavailable" });
  });
});
