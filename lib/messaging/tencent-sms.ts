/**
 * SMS through Tencent Cloud (`SendSms`, API version 2021-01-11) with the official SDK.
 *
 * Two layers of failure: the whole call can fail (`Response.Error`, which the SDK throws with a
 * `code` such as `AuthFailure.SignatureFailure`), or it succeeds and each number gets its own
 * `SendStatusSet[].Code`, where anything but `Ok` means that number got nothing.
 *
 * @see https://cloud.tencent.com/document/api/382/55981 (SendSms)
 * @see https://cloud.tencent.com/document/product/382/59177 (error codes)
 */
import "server-only";
import type { Agent } from "node:http";
import { sms } from "tencentcloud-sdk-nodejs-sms";
import { z } from "zod";
import type { TencentSmsConfig } from "./config";
import { MessagingError, type MessagingErrorCode, type MessagingRejection, phoneSpellings, safeDetail } from "./errors";
import type { OutgoingNoticeSms, OutgoingSms, SmsSender } from "./types";

export const DEFAULT_TENCENT_TIMEOUT_MS = 10_000;

const E164 = /^\+[1-9]\d{6,14}$/;

export type TencentSmsOptions = {
  timeoutMs?: number;
  /**
   * Tests only: send plain HTTP through this agent instead of HTTPS. The SDK still addresses
   * sms.tencentcloudapi.com and signs for it; the agent decides where the bytes go.
   */
  httpAgent?: Agent;
};

// The wire shape we rely on; the SDK passes `Response` through untouched.
const sendSmsResponseSchema = z.object({
  SendStatusSet: z.array(z.object({ PhoneNumber: z.string().optional(), Code: z.string(), Message: z.string().optional() })).min(1),
  RequestId: z.string().optional(),
});

export function createTencentSmsSender(config: TencentSmsConfig, options: TencentSmsOptions = {}): SmsSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TENCENT_TIMEOUT_MS;
  const client = new sms.v20210111.Client({
    credential: { secretId: config.secretId, secretKey: config.secretKey },
    region: config.region,
    profile: {
      language: "en-US",
      httpProfile: {
        reqMethod: "POST",
        reqTimeout: timeoutMs / 1000,
        ...(options.httpAgent && { protocol: "http://", agent: options.httpAgent }),
      },
    },
  });

  /** One SendSms of `templateId` with `params`; `secrets` are redacted from every error text. */
  async function send(to: string, templateId: string, params: string[], secrets: string[]): Promise<void> {
    if (!E164.test(to)) throw new MessagingError("rejected", "tencent: the number is not E.164", { reason: "invalid_recipient" });
    let response: unknown;
    try {
      response = await client.SendSms({
        PhoneNumberSet: [to],
        SmsSdkAppId: config.sdkAppId,
        SignName: config.signName,
        TemplateId: templateId,
        TemplateParamSet: params,
      });
    } catch (error) {
      throw fromSdkError(error, secrets);
    }
    const parsed = sendSmsResponseSchema.safeParse(response);
    if (!parsed.success) throw new MessagingError("unavailable", "tencent: SendSms answered without a SendStatusSet");
    const status = parsed.data.SendStatusSet.find((entry) => entry.PhoneNumber === to) ?? parsed.data.SendStatusSet[0]!;
    if (status.Code === "Ok") return;
    const { code, reason } = classifyTencentCode(status.Code);
    const detail = `tencent SendStatus ${status.Code}: ${safeDetail(status.Message ?? "", secrets)} (RequestId ${parsed.data.RequestId ?? "?"})`;
    throw new MessagingError(code, detail, { providerCode: status.Code, ...(reason && { reason }) });
  }

  const noticeTemplateId = config.noticeTemplateId;
  return {
    kind: "tencent",
    async sendCode(message: OutgoingSms) {
      await send(message.to, config.templateId, [message.code, String(message.ttlMinutes)], [message.code, config.secretKey, ...phoneSpellings(message.to)]);
    },
    ...(noticeTemplateId && {
      sendNotice: async (message: OutgoingNoticeSms) => {
        await send(message.to, noticeTemplateId, [message.params.time], [config.secretKey, ...phoneSpellings(message.to)]);
      },
    }),
  };
}

type SdkException = Error & { code?: string; requestId?: string; httpCode?: number };

function fromSdkError(error: unknown, secrets: string[]): MessagingError {
  const failure = (error instanceof Error ? error : new Error(String(error))) as SdkException;
  const message = safeDetail(failure.message, secrets);
  if (failure.code) {
    const { code, reason } = classifyTencentCode(failure.code);
    return new MessagingError(code, `tencent ${failure.code}: ${message} (RequestId ${failure.requestId || "?"})`, {
      providerCode: failure.code,
      ...(reason && { reason }),
    });
  }
  // No API code: the request never got a JSON answer (timeout, refused connection, HTTP 5xx).
  return new MessagingError("unavailable", `tencent transport${failure.httpCode ? ` HTTP ${failure.httpCode}` : ""}: ${message}`);
}

/**
 * A Tencent error code → what we can do about it. Limits on one number and bad numbers are the
 * user's; limits on the whole app, an empty SMS package and outages wait for time or the operator;
 * credentials, signature and template are the operator's.
 */
export function classifyTencentCode(code: string): { code: MessagingErrorCode; reason?: MessagingRejection } {
  if (code.startsWith("LimitExceeded.PhoneNumber") || code === "LimitExceeded.DeliveryFrequencyLimit") return { code: "rejected", reason: "rate_limited" };
  if (
    code === "InvalidParameterValue.IncorrectPhoneNumber" ||
    code === "FailedOperation.PhoneNumberParseFail" ||
    code === "UnsupportedOperation.UnsupportedRegion"
  ) {
    return { code: "rejected", reason: "invalid_recipient" };
  }
  if (code === "FailedOperation.PhoneNumberInBlacklist" || code === "FailedOperation.PhoneNumberOnBlacklist")
    return { code: "rejected", reason: "recipient_blocked" };
  if (
    code.startsWith("LimitExceeded.") ||
    code.startsWith("InternalError") ||
    code.startsWith("RequestLimitExceeded") ||
    code === "FailedOperation.InsufficientBalanceInSmsPackage"
  ) {
    return { code: "unavailable" };
  }
  if (
    code.startsWith("AuthFailure") ||
    code.startsWith("UnauthorizedOperation") ||
    code.startsWith("InvalidParameter") ||
    code.startsWith("MissingParameter") ||
    /Signature|Template|SensitiveWord/.test(code)
  ) {
    return { code: "misconfigured" };
  }
  return { code: "unavailable" };
}
