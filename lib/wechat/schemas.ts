/**
 * Wire shapes of api.weixin.qq.com replies. Nothing upstream is trusted: each reply is parsed
 * here before the app sees it.
 */
import { z } from "zod";

/** Error bodies: HTTP 200 with errcode/errmsg; `/sns/auth` also answers errcode 0 on success. */
export const wechatErrorSchema = z.object({
  errcode: z.number().int(),
  errmsg: z.string().optional().default(""),
});

const wechatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, "not a WeChat id");

/** `/sns/oauth2/access_token` and `/sns/oauth2/refresh_token` success body (§A3). */
export const snsTokenSchema = z.object({
  access_token: z.string().min(1).max(2048),
  expires_in: z.number().int().positive(),
  refresh_token: z.string().min(1).max(2048),
  openid: wechatIdSchema,
  scope: z.string().max(256),
  unionid: wechatIdSchema.optional(),
  is_snapshotuser: z.number().int().optional(),
});
export type SnsToken = z.infer<typeof snsTokenSchema>;

/** `/sns/userinfo` success body (§A4). Gender and region are always empty since 2021. */
export const snsUserinfoSchema = z.object({
  openid: wechatIdSchema,
  nickname: z.string().max(256).default(""),
  headimgurl: z
    .string()
    .max(1024)
    .default("")
    .transform((value) => (/^https?:\/\//.test(value) ? value : "")),
  unionid: wechatIdSchema.optional(),
  privilege: z.array(z.string()).optional(),
});
export type SnsUserinfo = z.infer<typeof snsUserinfoSchema>;

/** `cgi-bin/openapi/quota/get` success body (§I1): today's use of one path, reset at midnight Beijing time. */
export const quotaAnswerSchema = z.object({
  quota: z.object({
    daily_limit: z.number().int().nonnegative(),
    used: z.number().int().nonnegative(),
    remain: z.number().int(),
  }),
});
export type QuotaAnswer = z.infer<typeof quotaAnswerSchema>;

/**
 * `cgi-bin/openapi/rid/get` success body (§I2): the call behind a rid. `request_url` is its query string and
 * `request_body` its body, as sent: they can carry tokens and secrets.
 */
export const ridAnswerSchema = z.object({
  request: z.object({
    invoke_time: z.number().int().nonnegative(),
    cost_in_ms: z.number().nonnegative(),
    request_url: z.string().max(65_536).default(""),
    request_body: z.string().max(1_048_576).default(""),
    response_body: z.string().max(1_048_576).default(""),
    client_ip: z.string().max(64).default(""),
  }),
});
export type RidAnswer = z.infer<typeof ridAnswerSchema>;
