/**
 * Official Account (服务号) server APIs: the app-level access token, temporary parametric QR
 * codes and follower info.
 *
 * The access token comes from `stable_token`, which returns the same token while it is valid,
 * so instances refreshing at once do not invalidate each other (plain `cgi-bin/token` would).
 * It is cached in this process and in the database for every other instance, and refreshed
 * five minutes before it expires, never fetched once per QR.
 *
 * @see docs/wechat-protocol.md §B2, §B4
 */
import "server-only";
import { z } from "zod";
import { openSecret, sealSecret } from "@/lib/crypto";
import { deleteAppToken, findAppToken, saveAppToken } from "@/lib/db/app-tokens";
import { getEnv, type OfficialAccountConfig } from "@/lib/env";
import { logger } from "@/lib/logger";
import { callWechatApi, WechatApiError } from "./api-client";

const REFRESH_MARGIN_MS = 5 * 60_000;
/** Errcodes meaning "this access token is no longer good": fetch a fresh one and retry once. */
const TOKEN_INVALID_ERRCODES = new Set([40001, 40014, 42001]);

const appTokenSchema = z.object({ access_token: z.string().min(1).max(2048), expires_in: z.number().int().positive() });

const qrcodeSchema = z.object({
  ticket: z.string().min(1).max(1024),
  expire_seconds: z.number().int().positive().optional(),
  url: z.string().min(1).max(1024),
});
export type TempQr = z.infer<typeof qrcodeSchema>;

const wechatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/);
const followerSchema = z.object({ subscribe: z.number().int(), openid: wechatIdSchema, unionid: wechatIdSchema.optional() });
export type Follower = z.infer<typeof followerSchema>;

type CachedToken = { token: string; expiresAt: number };
const globalForTokens = globalThis as typeof globalThis & {
  __wechatAppTokens?: Map<string, CachedToken>;
  __wechatAppTokenFlights?: Map<string, Promise<CachedToken>>;
};
const memory = (globalForTokens.__wechatAppTokens ??= new Map());
const flights = (globalForTokens.__wechatAppTokenFlights ??= new Map());

export function requireOfficialAccount(): OfficialAccountConfig {
  const account = getEnv().wechat.officialAccount;
  if (!account) throw new Error("No Official Account is configured (WECHAT_OA_ID)");
  return account;
}

function isFresh(cached: CachedToken | undefined): cached is CachedToken {
  return cached !== undefined && cached.expiresAt - REFRESH_MARGIN_MS > Date.now();
}

async function loadToken(account: OfficialAccountConfig): Promise<CachedToken> {
  const stored = await findAppToken(account.appId);
  if (stored && isFresh({ token: "", expiresAt: stored.expiresAt.getTime() })) {
    try {
      return { token: openSecret(stored.tokenEnc), expiresAt: stored.expiresAt.getTime() };
    } catch {
      // Sealed under another AUTH_SECRET (rotated, or another deployment): fetch a fresh one.
      logger.warn("wechat.app_token.unreadable", { appId: account.appId });
    }
  }
  const fetched = await callWechatApi("/cgi-bin/stable_token", {}, appTokenSchema, {
    json: { grant_type: "client_credential", appid: account.appId, secret: account.secret, force_refresh: false },
  });
  const expiresAt = new Date(Date.now() + fetched.expires_in * 1000);
  await saveAppToken(account.appId, sealSecret(fetched.access_token), expiresAt);
  return { token: fetched.access_token, expiresAt: expiresAt.getTime() };
}

/** The app-level access token, from memory, the database, or `stable_token` (single flight). */
export async function getAppAccessToken(account = requireOfficialAccount()): Promise<string> {
  const cached = memory.get(account.appId);
  if (isFresh(cached)) return cached.token;
  let flight = flights.get(account.appId);
  if (!flight) {
    flight = loadToken(account).finally(() => flights.delete(account.appId));
    flights.set(account.appId, flight);
  }
  const token = await flight;
  memory.set(account.appId, token);
  return token.token;
}

async function forgetToken(appId: string): Promise<void> {
  memory.delete(appId);
  await deleteAppToken(appId);
}

/** Calls a cgi-bin API with the access token, refreshing it once if WeChat says it went bad. */
async function callWithAppToken<Schema extends z.ZodType>(
  path: string,
  params: Record<string, string>,
  schema: Schema,
  json?: unknown,
): Promise<z.infer<Schema>> {
  const account = requireOfficialAccount();
  for (let attempt = 1; ; attempt++) {
    const accessToken = await getAppAccessToken(account);
    try {
      return await callWechatApi(path, { ...params, access_token: accessToken }, schema, json === undefined ? {} : { json });
    } catch (error) {
      if (attempt >= 2 || !(error instanceof WechatApiError) || !TOKEN_INVALID_ERRCODES.has(error.errcode)) throw error;
      await forgetToken(account.appId);
    }
  }
}

/** A temporary parametric QR (`QR_STR_SCENE`); `expire_seconds` is always sent (its default is disputed). */
export async function createTempQr(scene: string, expireSeconds: number): Promise<TempQr> {
  return callWithAppToken("/cgi-bin/qrcode/create", {}, qrcodeSchema, {
    expire_seconds: expireSeconds,
    action_name: "QR_STR_SCENE",
    action_info: { scene: { scene_str: scene } },
  });
}

/** Follower info; `unionid` only when the Official Account is bound to an Open Platform account. */
export async function getFollower(openid: string): Promise<Follower> {
  return callWithAppToken("/cgi-bin/user/info", { openid, lang: "zh_CN" }, followerSchema);
}
