/**
 * The messaging part of the configuration, named for the senders. lib/env.ts reads and validates
 * the variables (SMS_PROVIDER, TENCENT_SMS_*, ALIYUN_SMS_*, EMAIL_PROVIDER, SMTP_*, EMAIL_FROM);
 * this module only names the shapes of `getEnv().messaging`.
 */
import type { Env } from "@/lib/env";

export type MessagingConfig = Env["messaging"];
export type SmsConfig = NonNullable<MessagingConfig["sms"]>;
export type EmailConfig = NonNullable<MessagingConfig["email"]>;
export type TencentSmsConfig = Extract<SmsConfig, { provider: "tencent" }>["tencent"];
export type AliyunSmsConfig = Extract<SmsConfig, { provider: "aliyun" }>["aliyun"];
export type SmtpConfig = Extract<EmailConfig, { provider: "smtp" }>["smtp"];
