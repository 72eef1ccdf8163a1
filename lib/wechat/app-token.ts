/**
 * The app-level access token of any app with an AppSecret: an Official Account or a mini program
 * (the two share `cgi-bin/token` and `cgi-bin/stable_token`, each app with its own token).
 *
 * The token comes from `stable_token`, which returns the same token while it is valid, so
 * instances refreshing at once do not invalidate each other (plain `cgi-bin/token` would).
 * It is cached in this process and in the database (keyed by appId) for every other instance,
 * and refreshed five minutes before it expires, never fetched once per call.
 *
 * @see docs/wechat-protocol.md §B2, §H1
 */
import "server-only";
import { z } from "zod";
import { openSecret, sealSecret } from "@/lib/crypto";
import { deleteAppToken, findAppToken, saveAppToken } from "@/lib/db/app-tokens";
import { recordWechatEvent } from "@/lib/db/wechat-events";
import { logger } from "@/lib/logger";
import { countTokenFetch } from "@/lib/telemetry";
import { callWechatApi, WechatApiError, WechatTransportError } from "./api-client";

/** An app that holds client_credential tokens. */
export type AppCredentials = { appId: string; secret: string };

/** How long before expiry a token is refreshed (the console's health page shows the next refresh from it). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** Errcodes meaning "this access token is no longer good": fetch a fresh one and retry once. */
const TOKEN_INVALID_ERRCODES = new Set([40001, 40014, 42001]);

const appTokenSchema = z.object({ access_token: z.string().min(1).max(2048), expires_in: z.number().int().positive() });

type CachedToken = { token: string; expiresAt: number };
const globalForTokens = globalThis as typeof globalThis & {
  __wechatAppTokens?: Map<string, CachedToken>;
  __wechatAppTokenFlights?: Map<string, Promise<CachedToken>>;
};
const memory = (globalForTokens.__wechatAppTokens ??= new Map());
const flights = (globalForTokens.__wechatAppTokenFlights ??= new Map());

function isFresh(cached: CachedToken | undefined): cached is CachedToken {
  return cached !== undefined && cached.expiresAt - REFRESH_MARGIN_MS > Date.now();
}

async function loadToken(app: AppCredentials): Promise<CachedToken> {
  const stored = await findAppToken(app.appId);
  if (stored && isFresh({ token: "", expiresAt: stored.expiresAt.getTime() })) {
    try {
      return { token: openSecret(stored.tokenEnc), expiresAt: stored.expiresAt.getTime() };
    } catch {
      // Sealed under another AUTH_SECRET (rotated, or another deployment): fetch a fresh one.
      logger.warn("wechat.app_token.unreadable", { appId: app.appId });
    }
  }
  // A refresh replaces a token this process or another instance held (expiring, or refused by WeChat).
  const kind = stored || memory.has(app.appId) ? "refresh" : "fetch";
  let fetched: z.infer<typeof appTokenSchema>;
  try {
    fetched = await callWechatApi("/cgi-bin/stable_token", {}, appTokenSchema, {
      json: { grant_type: "client_credential", appid: app.appId, secret: app.secret, force_refresh: false },
      // Kept below, once, as this app's failed refresh (not also as an api_error).
      keepsFailure: true,
    });
  } catch (error) {
    countTokenFetch(kind, "error");
    const errcode = error instanceof WechatApiError ? error.errcode : undefined;
    const reason = error instanceof WechatTransportError ? error.kind : undefined;
    await recordWechatEvent({ kind: "token_refresh_failed", appId: app.appId, endpoint: "/cgi-bin/stable_token", errcode, reason });
    throw error;
  }
  countTokenFetch(kind, "ok");
  const expiresAt = new Date(Date.now() + fetched.expires_in * 1000);
  await saveAppToken(app.appId, sealSecret(fetched.access_token), expiresAt);
  return { token: fetched.access_token, expiresAt: expiresAt.getTime() };
}

/** The app-level access token, from memory, the database, or `stable_token` (single flight per app). */
export async function getAppAccessToken(app: AppCredentials): Promise<string> {
  const cached = memory.get(app.appId);
  if (isFresh(cached)) return cached.token;
  let flight = flights.get(app.appId);
  if (!flight) {
    flight = loadToken(app).finally(() => flights.delete(app.appId));
    flights.set(app.appId, flight);
  }
  const token = await flight;
  memory.set(app.appId, token);
  return token.token;
}

async function forgetToken(appId: string): Promise<void> {
  // Kept as expired rather than deleted, so the next fetch counts as a refresh.
  memory.set(appId, { token: "", expiresAt: 0 });
  await deleteAppToken(appId);
}

/** Calls an API with `app`'s access token in the query, refreshing the token once if WeChat says it went bad. */
export async function callWithAppToken<Schema extends z.ZodType>(
  app: AppCredentials,
  path: string,
  params: Record<string, string>,
  schema: Schema,
  json?: unknown,
): Promise<z.infer<Schema>> {
  return withAppToken(app, (accessToken) => callWechatApi(path, { ...params, access_token: accessToken }, schema, json === undefined ? {} : { json }));
}

/** Runs `call` with `app`'s access token, and once more with a fresh token if WeChat says the first went bad. */
export async function withAppToken<T>(app: AppCredentials, call: (accessToken: string) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const accessToken = await getAppAccessToken(app);
    try {
      return await call(accessToken);
    } catch (error) {
      if (attempt >= 2 || !(error instanceof WechatApiError) || !TOKEN_INVALID_ERRCODES.has(error.errcode)) throw error;
      await forgetToken(app.appId);
    }
  }
}
