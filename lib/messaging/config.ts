/**
 * Which providers carry SMS and email, read from the environment by lib/env.ts.
 *
 * Only zod here and no `server-only`: lib/env.ts (and through it next.config.ts) imports this
 * module, and must not load an SDK or Prisma to parse a variable. Whether the outbox is allowed
 * where SMS binding is on in production is lib/env.ts's policy; this module only parses, and
 * fills in the outbox outside production.
 */
import { z } from "zod";

export type TencentSmsConfig = {
  secretId: string;
  secretKey: string;
  /** e.g. `ap-guangzhou`. */
  region: string;
  /** The SMS application's SdkAppId (`1400...`). */
  sdkAppId: string;
  /** The approved signature (签名), without the brackets. */
  signName: string;
  /** The approved template; its parameters are `{1}` the code and `{2}` the minutes. */
  templateId: string;
  /** An approved notice template with one parameter `{1}` (the time); without it no notices go by SMS. */
  noticeTemplateId?: string;
};

export type AliyunSmsConfig = {
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  /** The approved template (`SMS_...`); its one parameter is `${code}`. */
  templateCode: string;
  /** An approved notice template (`SMS_...`) with one parameter `${time}`; without it no notices go by SMS. */
  noticeTemplateCode?: string;
  /** Tests only: a loopback `host:port` gateway spoken to over plain HTTP (e2e/sms-gateway.ts). */
  testEndpoint?: string;
};

export type SmtpConfig = {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). Otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  pass?: string;
  /** `no-reply@example.com` or `微信扫码登录 <no-reply@example.com>`. */
  from: string;
};

export type SmsConfig = { provider: "outbox" } | { provider: "tencent"; tencent: TencentSmsConfig } | { provider: "aliyun"; aliyun: AliyunSmsConfig };

export type EmailConfig = { provider: "outbox" } | { provider: "smtp"; smtp: SmtpConfig };

export type MessagingConfig = {
  /** Undefined in production when SMS_PROVIDER is unset: no SMS can be sent. */
  sms: SmsConfig | undefined;
  /** Undefined in production when EMAIL_PROVIDER is unset: no email can be sent. */
  email: EmailConfig | undefined;
};

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

function optionalMatching(pattern: RegExp, message: string) {
  return optionalString.pipe(z.string().regex(pattern, message).optional());
}

/** The raw variables. Its `shape` can be spread into lib/env.ts's own object schema. */
export const messagingEnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  SMS_PROVIDER: optionalString.pipe(z.enum(["outbox", "tencent", "aliyun"], "SMS_PROVIDER is outbox, tencent or aliyun").optional()),
  TENCENT_SMS_SECRET_ID: optionalString,
  TENCENT_SMS_SECRET_KEY: optionalString,
  TENCENT_SMS_REGION: optionalMatching(/^[a-z]{2,}-[a-z]+(-\d+)?$/, "TENCENT_SMS_REGION looks like ap-guangzhou"),
  TENCENT_SMS_SDK_APP_ID: optionalMatching(/^\d{6,12}$/, "TENCENT_SMS_SDK_APP_ID is the digits of the SdkAppId, e.g. 1400006666"),
  TENCENT_SMS_SIGN_NAME: optionalString,
  TENCENT_SMS_TEMPLATE_ID: optionalMatching(/^\d{1,12}$/, "TENCENT_SMS_TEMPLATE_ID is the digits of the template ID"),
  TENCENT_SMS_NOTICE_TEMPLATE_ID: optionalMatching(/^\d{1,12}$/, "TENCENT_SMS_NOTICE_TEMPLATE_ID is the digits of the template ID"),
  ALIYUN_SMS_ACCESS_KEY_ID: optionalString,
  ALIYUN_SMS_ACCESS_KEY_SECRET: optionalString,
  ALIYUN_SMS_SIGN_NAME: optionalString,
  ALIYUN_SMS_TEMPLATE_CODE: optionalMatching(/^[A-Za-z0-9_]{3,64}$/, "ALIYUN_SMS_TEMPLATE_CODE looks like SMS_123456789"),
  ALIYUN_SMS_NOTICE_TEMPLATE_CODE: optionalMatching(/^[A-Za-z0-9_]{3,64}$/, "ALIYUN_SMS_NOTICE_TEMPLATE_CODE looks like SMS_123456789"),
  ALIYUN_SMS_TEST_ENDPOINT: optionalMatching(/^localhost:\d{2,5}$/, "ALIYUN_SMS_TEST_ENDPOINT is localhost:<port> (a test gateway)"),
  EMAIL_PROVIDER: optionalString.pipe(z.enum(["outbox", "smtp"], "EMAIL_PROVIDER is outbox or smtp").optional()),
  SMTP_HOST: optionalMatching(/^[A-Za-z0-9.:[\]-]+$/, "SMTP_HOST is a host name or an IP address"),
  SMTP_PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, "SMTP_PORT is a port number")
      .transform(Number)
      .pipe(z.number().min(1, "SMTP_PORT is 1-65535").max(65_535, "SMTP_PORT is 1-65535"))
      .optional(),
  ),
  // Strict, so that a typo such as `ture` does not quietly mean plain text.
  SMTP_SECURE: optionalString.pipe(z.enum(["true", "false", "1", "0"], "SMTP_SECURE is true or false").optional()),
  SMTP_USER: optionalString,
  SMTP_PASS: z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value)),
  EMAIL_FROM: optionalMatching(
    /^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/,
    "EMAIL_FROM is an address, or a name and an address: Name <no-reply@example.com>",
  ),
});

type RawMessagingEnv = z.infer<typeof messagingEnvSchema>;

const TENCENT_DEFAULT_REGION = "ap-guangzhou";

/** The variables parsed into a {@link MessagingConfig}; issues name the variable at fault. */
export const messagingConfigSchema = messagingEnvSchema.transform((raw, context): MessagingConfig => {
  const missing = (variables: (keyof RawMessagingEnv)[], because: string) => {
    for (const variable of variables) {
      if (raw[variable] === undefined) context.addIssue({ code: "custom", path: [variable], message: `${variable} is required ${because}` });
    }
  };
  const isProduction = raw.NODE_ENV === "production";

  let sms: SmsConfig | undefined;
  const smsProvider = raw.SMS_PROVIDER ?? (isProduction ? undefined : "outbox");
  if (smsProvider === "outbox") sms = { provider: "outbox" };
  if (smsProvider === "tencent") {
    missing(["TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_SDK_APP_ID", "TENCENT_SMS_SIGN_NAME", "TENCENT_SMS_TEMPLATE_ID"], "with SMS_PROVIDER=tencent");
    sms = {
      provider: "tencent",
      tencent: {
        secretId: raw.TENCENT_SMS_SECRET_ID ?? "",
        secretKey: raw.TENCENT_SMS_SECRET_KEY ?? "",
        region: raw.TENCENT_SMS_REGION ?? TENCENT_DEFAULT_REGION,
        sdkAppId: raw.TENCENT_SMS_SDK_APP_ID ?? "",
        signName: raw.TENCENT_SMS_SIGN_NAME ?? "",
        templateId: raw.TENCENT_SMS_TEMPLATE_ID ?? "",
        ...(raw.TENCENT_SMS_NOTICE_TEMPLATE_ID ? { noticeTemplateId: raw.TENCENT_SMS_NOTICE_TEMPLATE_ID } : {}),
      },
    };
  }
  if (smsProvider === "aliyun") {
    missing(["ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE"], "with SMS_PROVIDER=aliyun");
    sms = {
      provider: "aliyun",
      aliyun: {
        accessKeyId: raw.ALIYUN_SMS_ACCESS_KEY_ID ?? "",
        accessKeySecret: raw.ALIYUN_SMS_ACCESS_KEY_SECRET ?? "",
        signName: raw.ALIYUN_SMS_SIGN_NAME ?? "",
        templateCode: raw.ALIYUN_SMS_TEMPLATE_CODE ?? "",
        ...(raw.ALIYUN_SMS_NOTICE_TEMPLATE_CODE ? { noticeTemplateCode: raw.ALIYUN_SMS_NOTICE_TEMPLATE_CODE } : {}),
        ...(raw.ALIYUN_SMS_TEST_ENDPOINT ? { testEndpoint: raw.ALIYUN_SMS_TEST_ENDPOINT } : {}),
      },
    };
  }

  let email: EmailConfig | undefined;
  const emailProvider = raw.EMAIL_PROVIDER ?? (isProduction ? undefined : "outbox");
  if (emailProvider === "outbox") email = { provider: "outbox" };
  if (emailProvider === "smtp") {
    missing(["SMTP_HOST", "EMAIL_FROM"], "with EMAIL_PROVIDER=smtp");
    if (raw.SMTP_USER !== undefined && raw.SMTP_PASS === undefined) missing(["SMTP_PASS"], "with SMTP_USER");
    if (raw.SMTP_PASS !== undefined && raw.SMTP_USER === undefined) missing(["SMTP_USER"], "with SMTP_PASS");
    const secureFlag = raw.SMTP_SECURE === undefined ? undefined : raw.SMTP_SECURE === "true" || raw.SMTP_SECURE === "1";
    // Port 465 is implicit TLS; 587 is submission with STARTTLS.
    const secure = secureFlag ?? raw.SMTP_PORT === 465;
    email = {
      provider: "smtp",
      smtp: {
        host: raw.SMTP_HOST ?? "",
        port: raw.SMTP_PORT ?? (secure ? 465 : 587),
        secure,
        ...(raw.SMTP_USER !== undefined && { user: raw.SMTP_USER }),
        ...(raw.SMTP_PASS !== undefined && { pass: raw.SMTP_PASS }),
        from: raw.EMAIL_FROM ?? "",
      },
    };
  }

  return { sms, email };
});

export class MessagingConfigError extends Error {
  override name = "MessagingConfigError";
}

/**
 * Parses the messaging variables of `source` (an environment). Throws a
 * {@link MessagingConfigError} naming each variable at fault, never echoing a value.
 */
export function readMessagingConfig(source: Record<string, string | undefined>): MessagingConfig {
  const parsed = messagingConfigSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
  throw new MessagingConfigError(`Invalid messaging configuration: ${detail}`);
}
