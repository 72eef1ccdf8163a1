/**
 * SMS through Aliyun (阿里云短信服务, `SendSms`, API version 2017-05-25) with the official SDK.
 *
 * Aliyun answers a refused message with HTTP 200 and `{"Code": "isv.BUSINESS_LIMIT_CONTROL", ...}`:
 * only `Code: "OK"` means sent. Bad credentials or signatures are HTTP 4xx, which the SDK throws as
 * a `ClientError` with a `code`; its message can quote the string-to-sign (the template parameter,
 * so the code), which is why every text is redacted before it reaches a log.
 *
 * Numbers: Aliyun wants mainland numbers without `+86` (`13800138000`) and others with the country
 * code and no `+` (`85291234567`).
 *
 * @see https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
 * @see https://help.aliyun.com/zh/sms/developer-reference/api-error-codes
 */
import "server-only";
import Dysmsapi20170525, { SendSmsRequest } from "@alicloud/dysmsapi20170525";
import * as $OpenApi from "@alicloud/openapi-client";
import { z } from "zod";
import type { AliyunSmsConfig } from "./config";
import { MessagingError, type MessagingErrorCode, type MessagingRejection, phoneSpellings, safeDetail } from "./errors";
import type { OutgoingNoticeSms, OutgoingSms, SmsSender } from "./types";

export const ALIYUN_SMS_ENDPOINT = "dysmsapi.aliyuncs.com";
export const DEFAULT_ALIYUN_TIMEOUT_MS = 10_000;

const E164 = /^\+[1-9]\d{6,14}$/;

export type AliyunSmsOptions = {
  timeoutMs?: number;
  /** Tests only: a plain-HTTP `host:port` to send to instead of https://dysmsapi.aliyuncs.com. */
  httpEndpoint?: string;
};

// The SDK maps the JSON body onto camelCase fields; this is what we rely on.
const sendSmsBodySchema = z.object({ code: z.string(), message: z.string().optional(), requestId: z.string().optional() });

// The package is CommonJS with `exports.default = Client`: a bundler hands us the class, Node's
// ESM loader the module object around it.
type ClientClass = typeof Dysmsapi20170525;
const DysmsapiClient: ClientClass = (Dysmsapi20170525 as unknown as { default?: ClientClass }).default ?? Dysmsapi20170525;

/** `+8613800138000` → `13800138000`; `+85291234567` → `85291234567`. */
export function toAliyunPhoneNumber(e164: string): string {
  return e164.startsWith("+86") ? e164.slice(3) : e164.slice(1);
}

export function createAliyunSmsSender(config: AliyunSmsConfig, options: AliyunSmsOptions = {}): SmsSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ALIYUN_TIMEOUT_MS;
  const client = new DysmsapiClient(
    new $OpenApi.Config({
      accessKeyId: config.accessKeyId,
      accessKeySecret: config.accessKeySecret,
      endpoint: options.httpEndpoint ?? ALIYUN_SMS_ENDPOINT,
      ...(options.httpEndpoint && { protocol: "HTTP" }),
      // Without it the SDK reads ALIBABA_CLOUD_USER_AGENT from the environment.
      userAgent: "wechat-scan-login",
      connectTimeout: timeoutMs,
      readTimeout: timeoutMs,
    }),
  );

  /** One SendSms of `templateCode` with `params`; `secrets` are redacted from every error text. */
  async function send(to: string, templateCode: string, params: Record<string, string>, secrets: string[]): Promise<void> {
    if (!E164.test(to)) throw new MessagingError("rejected", "aliyun: the number is not E.164", { reason: "invalid_recipient" });
    let response: Awaited<ReturnType<InstanceType<ClientClass>["sendSms"]>>;
    try {
      response = await client.sendSms(
        new SendSmsRequest({
          phoneNumbers: toAliyunPhoneNumber(to),
          signName: config.signName,
          templateCode,
          templateParam: JSON.stringify(params),
        }),
      );
    } catch (error) {
      throw fromSdkError(error, secrets);
    }
    const body = sendSmsBodySchema.safeParse(response.body);
    if (!body.success) throw new MessagingError("unavailable", "aliyun: SendSms answered without a Code");
    if (body.data.code === "OK") return;
    const { code, reason } = classifyAliyunCode(body.data.code);
    const detail = `aliyun ${body.data.code}: ${safeDetail(body.data.message ?? "", secrets)} (RequestId ${body.data.requestId ?? "?"})`;
    throw new MessagingError(code, detail, { providerCode: body.data.code, ...(reason && { reason }) });
  }

  const noticeTemplateCode = config.noticeTemplateCode;
  return {
    kind: "aliyun",
    async sendCode(message: OutgoingSms) {
      await send(message.to, config.templateCode, { code: message.code }, [message.code, config.accessKeySecret, ...phoneSpellings(message.to)]);
    },
    ...(noticeTemplateCode && {
      sendNotice: async (message: OutgoingNoticeSms) => {
        await send(message.to, noticeTemplateCode, message.params, [config.accessKeySecret, ...phoneSpellings(message.to)]);
      },
    }),
  };
}

type SdkError = Error & { code?: unknown; statusCode?: unknown; requestId?: unknown };

function fromSdkError(error: unknown, secrets: string[]): MessagingError {
  const failure = (error instanceof Error ? error : new Error(String(error))) as SdkError;
  const message = safeDetail(failure.message, secrets);
  // ClientError / ServerError / ThrottlingError: Aliyun answered with an HTTP error and a code.
  if (typeof failure.statusCode === "number" && typeof failure.code === "string") {
    const providerCode = failure.code;
    const { code, reason } = failure.statusCode >= 500 ? { code: "unavailable" as const, reason: undefined } : classifyAliyunCode(providerCode);
    return new MessagingError(code, `aliyun HTTP ${failure.statusCode} ${providerCode}: ${message}`, { providerCode, ...(reason && { reason }) });
  }
  // Anything else never got an answer: timeout, refused connection, DNS.
  return new MessagingError("unavailable", `aliyun transport ${failure.name}: ${message}`);
}

/**
 * An Aliyun error code → what we can do about it. `isv.BUSINESS_LIMIT_CONTROL` is Aliyun's own
 * per-number flow control for codes (by default 1 a minute, 5 an hour, 10 a day).
 */
export function classifyAliyunCode(code: string): { code: MessagingErrorCode; reason?: MessagingRejection } {
  // Not isv.BLACK_KEY_CONTROL_LIMIT: that is a banned word in our template variables.
  if (code.includes("LIMIT_CONTROL") || code.includes("BUSINESS_LIMIT")) return { code: "rejected", reason: "rate_limited" };
  if (
    code === "isv.MOBILE_NUMBER_ILLEGAL" ||
    code === "isv.NOT_SUPPORTED_COUNTRY" ||
    code === "isv.COUNTRY_RESTRICTED" ||
    code === "isv.DOMESTIC_NUMBER_NOT_SUPPORTED"
  ) {
    return { code: "rejected", reason: "invalid_recipient" };
  }
  if (
    code === "isv.AMOUNT_NOT_ENOUGH" ||
    code === "isv.OUT_OF_SERVICE" ||
    code.startsWith("Throttling") ||
    (code.startsWith("isp.") && code !== "isp.RAM_PERMISSION_DENY")
  ) {
    return { code: "unavailable" };
  }
  return { code: "misconfigured" };
}
