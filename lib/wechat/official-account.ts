/**
 * Official Account (服务号) server APIs: temporary parametric QR codes and follower info, with the
 * app-level access token of lib/wechat/app-token.ts.
 *
 * @see docs/wechat-protocol.md §B2, §B4
 */
import "server-only";
import { z } from "zod";
import { getEnv, type OfficialAccountConfig } from "@/lib/env";
import { callWithAppToken, getAppAccessToken as getTokenOf } from "./app-token";

const qrcodeSchema = z.object({
  ticket: z.string().min(1).max(1024),
  expire_seconds: z.number().int().positive().optional(),
  url: z.string().min(1).max(1024),
});
export type TempQr = z.infer<typeof qrcodeSchema>;

const wechatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/);
const followerSchema = z.object({ subscribe: z.number().int(), openid: wechatIdSchema, unionid: wechatIdSchema.optional() });
export type Follower = z.infer<typeof followerSchema>;

export function requireOfficialAccount(): OfficialAccountConfig {
  const account = getEnv().wechat.officialAccount;
  if (!account) throw new Error("No Official Account is configured (WECHAT_OA_ID)");
  return account;
}

/** The Official Account's access token (cached and shared, see lib/wechat/app-token.ts). */
export async function getAppAccessToken(account = requireOfficialAccount()): Promise<string> {
  return getTokenOf(account);
}

/** A temporary parametric QR (`QR_STR_SCENE`); `expire_seconds` is always sent (its default is disputed). */
export async function createTempQr(scene: string, expireSeconds: number): Promise<TempQr> {
  return callWithAppToken(requireOfficialAccount(), "/cgi-bin/qrcode/create", {}, qrcodeSchema, {
    expire_seconds: expireSeconds,
    action_name: "QR_STR_SCENE",
    action_info: { scene: { scene_str: scene } },
  });
}

/** Follower info; `unionid` only when the Official Account is bound to an Open Platform account. */
export async function getFollower(openid: string): Promise<Follower> {
  return callWithAppToken(requireOfficialAccount(), "/cgi-bin/user/info", { openid, lang: "zh_CN" }, followerSchema);
}
