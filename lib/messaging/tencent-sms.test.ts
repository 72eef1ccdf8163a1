/**
 * The real Tencent Cloud SDK, up to and including its HTTP request, with the request captured.
 *
 * The client is built exactly as in production, except for its `httpProfile.agent` (an option
 * of the SDK): an agent that connects every socket to a local HTTP server and `protocol: "http://"`.
 * The SDK still addresses, signs and serializes for sms.tencentcloudapi.com, so the test sees the
 * bytes Tencent would see: method, path, the X-TC-* headers (action, version, region), the
 * TC3-HMAC-SHA256 Authorization (re-computed here from the secret key, independently of the SDK)
 * and the JSON body with PhoneNumberSet, SmsSdkAppId, SignName, TemplateId and TemplateParamSet.
 * The server answers with canned Tencent responses (success, a per-number limit, a bad number, a
 * call-level error, an HTTP error, silence).
 */
import { createHash, createHmac } from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TencentSmsConfig } from "./config";
import { MessagingError } from "./errors";
import { classifyTencentCode, createTencentSmsSender } from "./tencent-sms";

const CONFIG: TencentSmsConfig = {
  secretId: "AKIDtestSecretId0000000000000000000",
  secretKey: "testSecretKey000000000000000000000",
  region: "ap-guangzhou",
  sdkAppId: "1400006666",
  signName: "微信扫码登录",
  templateId: "1110",
};
const SMS = { to: "+8613800138000", code: "482913", ttlMinutes: 5, locale: "zh-CN" as const };

type Captured = { method: string; url: string; headers: IncomingHttpHeaders; body: string };
type Answer = { status?: number; json?: unknown; hang?: boolean };

/** Sends every connection to 127.0.0.1:port, whatever host the URL names. */
class LoopbackAgent extends http.Agent {
  constructor(private readonly port: number) {
    super({ keepAlive: false });
  }
  override createConnection(): Duplex {
    return net.connect(this.port, "127.0.0.1");
  }
}

let server: http.Server;
let agent: LoopbackAgent;
let captured: Captured[] = [];
let answer: Answer = {};

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      captured.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (answer.hang) return;
      response.writeHead(answer.status ?? 200, { "content-type": "application/json" });
      response.end(JSON.stringify(answer.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  agent = new LoopbackAgent(typeof address === "object" && address ? address.port : 0);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  captured = [];
  answer = {};
});

function statusResponse(code: string, message: string) {
  return {
    Response: {
      SendStatusSet: [
        {
          SerialNo: "2645:0000000000000000000",
          PhoneNumber: SMS.to,
          Fee: code === "Ok" ? 1 : 0,
          SessionContext: "",
          Code: code,
          Message: message,
          IsoCode: "CN",
        },
      ],
      RequestId: "a0aabda6-cf91-4f3e-a81f-9198114a2279",
    },
  };
}

async function sendExpectingError(message = SMS, options: { timeoutMs?: number } = {}): Promise<MessagingError> {
  const sender = createTencentSmsSender(CONFIG, { httpAgent: agent, ...options });
  const error = await sender.sendCode(message).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(MessagingError);
  return error as MessagingError;
}

/** TC3-HMAC-SHA256 as Tencent documents it, from the request as received. */
function expectedAuthorization(request: Captured, secretId: string, secretKey: string): string {
  const timestamp = Number(request.headers["x-tc-timestamp"]);
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
  const hmac = (key: string | Buffer, value: string) => createHmac("sha256", key).update(value).digest();
  const canonical = [
    "POST",
    "/",
    "",
    `content-type:${request.headers["content-type"]}\nhost:${request.headers.host}\n`,
    "content-type;host",
    sha256(request.body),
  ].join("\n");
  const scope = `${date}/sms/tc3_request`;
  const toSign = ["TC3-HMAC-SHA256", String(timestamp), scope, sha256(canonical)].join("\n");
  const key = hmac(hmac(hmac(`TC3${secretKey}`, date), "sms"), "tc3_request");
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  return `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
}

describe("Tencent Cloud SMS sender", () => {
  it("sends SendSms 2021-01-11 with the number, app, signature, template and [code, minutes], signed with TC3", async () => {
    answer = { json: statusResponse("Ok", "send success") };
    const sender = createTencentSmsSender(CONFIG, { httpAgent: agent });
    expect(sender.kind).toBe("tencent");
    await sender.sendCode(SMS);

    expect(captured).toHaveLength(1);
    const request = captured[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/");
    expect(request.headers.host).toBe("sms.tencentcloudapi.com");
    expect(request.headers["x-tc-action"]).toBe("SendSms");
    expect(request.headers["x-tc-version"]).toBe("2021-01-11");
    expect(request.headers["x-tc-region"]).toBe("ap-guangzhou");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({
      PhoneNumberSet: ["+8613800138000"],
      SmsSdkAppId: "1400006666",
      SignName: "微信扫码登录",
      TemplateId: "1110",
      TemplateParamSet: ["482913", "5"],
    });
    expect(request.headers.authorization).toBe(expectedAuthorization(request, CONFIG.secretId, CONFIG.secretKey));
    expect(Math.abs(Number(request.headers["x-tc-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    // The key signs; it never travels.
    expect(JSON.stringify(request)).not.toContain(CONFIG.secretKey);
  });

  it("texts the moved-away notice through the notice template, and offers no notice without one", async () => {
    answer = { json: statusResponse("Ok", "send success") };
    expect(createTencentSmsSender(CONFIG, { httpAgent: agent }).sendNotice).toBeUndefined();
    const sender = createTencentSmsSender({ ...CONFIG, noticeTemplateId: "2220" }, { httpAgent: agent });
    await sender.sendNotice!({ to: SMS.to, text: "ignored by the provider", params: { time: "2026年12月1日 22:03" } });
    expect(JSON.parse(captured[0]!.body)).toMatchObject({ PhoneNumberSet: [SMS.to], TemplateId: "2220", TemplateParamSet: ["2026年12月1日 22:03"] });
  });

  it("uses the configured region", async () => {
    answer = { json: statusResponse("Ok", "send success") };
    await createTencentSmsSender({ ...CONFIG, region: "ap-beijing" }, { httpAgent: agent }).sendCode(SMS);
    expect(captured[0]!.headers["x-tc-region"]).toBe("ap-beijing");
  });

  it("maps a per-number daily limit to rejected / rate_limited", async () => {
    answer = {
      json: statusResponse(
        "LimitExceeded.PhoneNumberDailyLimit",
        "the number of sms messages sent from a single mobile number every day exceeds the upper limit",
      ),
    };
    const error = await sendExpectingError();
    expect(error).toMatchObject({ code: "rejected", reason: "rate_limited", providerCode: "LimitExceeded.PhoneNumberDailyLimit" });
    expect(error.detail).toContain("LimitExceeded.PhoneNumberDailyLimit");
    expect(error.detail).toContain("a0aabda6-cf91-4f3e-a81f-9198114a2279");
  });

  it("maps a malformed number to rejected / invalid_recipient", async () => {
    answer = { json: statusResponse("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number format") };
    expect(await sendExpectingError()).toMatchObject({ code: "rejected", reason: "invalid_recipient" });
  });

  it("maps an empty SMS package to unavailable", async () => {
    answer = { json: statusResponse("FailedOperation.InsufficientBalanceInSmsPackage", "insufficient balance in SMS package") };
    expect(await sendExpectingError()).toMatchObject({ code: "unavailable", providerCode: "FailedOperation.InsufficientBalanceInSmsPackage" });
  });

  it("maps a call-level error (bad credentials) to misconfigured", async () => {
    answer = {
      json: {
        Response: {
          Error: { Code: "AuthFailure.SignatureFailure", Message: "The provided credentials could not be validated. Please check your signature is correct." },
          RequestId: "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6",
        },
      },
    };
    const error = await sendExpectingError();
    expect(error).toMatchObject({ code: "misconfigured", providerCode: "AuthFailure.SignatureFailure" });
    expect(error.detail).toContain("ed93f3cb-f35e-473f-b9f3-0d451b8b79c6");
  });

  it("never lets the code or the number into the error, even when Tencent quotes them", async () => {
    answer = {
      json: statusResponse(
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        `template params [${SMS.code}, 5] for 13800138000 do not match the template`,
      ),
    };
    const error = await sendExpectingError();
    expect(error.code).toBe("misconfigured");
    expect(error.detail).toContain("[redacted]");
    expect(`${error.message} ${error.detail} ${JSON.stringify(error)}`).not.toMatch(new RegExp(`${SMS.code}|13800138000`));
    expect(JSON.stringify(error)).not.toContain(CONFIG.secretKey);
  });

  it("maps an HTTP error and a silent server to unavailable", async () => {
    answer = { status: 502, json: { message: "bad gateway" } };
    expect(await sendExpectingError()).toMatchObject({ code: "unavailable" });

    answer = { hang: true };
    const startedAt = Date.now();
    const error = await sendExpectingError(SMS, { timeoutMs: 300 });
    expect(error.code).toBe("unavailable");
    expect(error.detail).toMatch(/transport/);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });

  it("refuses a number that is not E.164 without calling Tencent", async () => {
    expect(await sendExpectingError({ ...SMS, to: "13800138000" })).toMatchObject({ code: "rejected", reason: "invalid_recipient" });
    expect(captured).toHaveLength(0);
  });

  it("classifies Tencent's codes", () => {
    expect(classifyTencentCode("LimitExceeded.PhoneNumberThirtySecondLimit")).toEqual({ code: "rejected", reason: "rate_limited" });
    expect(classifyTencentCode("LimitExceeded.PhoneNumberOneHourLimit")).toEqual({ code: "rejected", reason: "rate_limited" });
    expect(classifyTencentCode("FailedOperation.PhoneNumberInBlacklist")).toEqual({ code: "rejected", reason: "recipient_blocked" });
    expect(classifyTencentCode("LimitExceeded.AppDailyLimit")).toEqual({ code: "unavailable" });
    expect(classifyTencentCode("InternalError.Timeout")).toEqual({ code: "unavailable" });
    expect(classifyTencentCode("RequestLimitExceeded")).toEqual({ code: "unavailable" });
    expect(classifyTencentCode("FailedOperation.SignatureIncorrectOrUnapproved")).toEqual({ code: "misconfigured" });
    expect(classifyTencentCode("FailedOperation.TemplateIncorrectOrUnapproved")).toEqual({ code: "misconfigured" });
    expect(classifyTencentCode("UnauthorizedOperation.SmsSdkAppIdVerifyFail")).toEqual({ code: "misconfigured" });
    expect(classifyTencentCode("InvalidParameterValue.SdkAppIdNotExist")).toEqual({ code: "misconfigured" });
  });
});
