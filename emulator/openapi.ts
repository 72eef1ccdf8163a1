import type { IncomingMessage, ServerResponse } from "node:http";
import type { WechatApp } from "./config";
import type { EmulatorContext } from "./context";
import { getErrmsg } from "./errcodes";
import { createRid, onSend } from "./http";
import { getDailyLimit, isMeteredPath, METERED_PATHS } from "./quota";
import type { MeteredPathName } from "./quota";
import { findRidInAnswer, RID_PATTERN, RID_TTL_MS } from "./rid-log";
import type { EmulatorState } from "./state";

/**
 * The two management endpoints of docs/wechat-protocol.md §I: an account's daily quota per path
 * (`/cgi-bin/openapi/quota/get`) and the call behind a rid (`/cgi-bin/openapi/rid/get`). Both take an
 * Official Account's or a mini program's access token; cgi-bin.ts checks it and the method. Also what
 * feeds them: the quota spending of metered calls and the recording of every rid handed out.
 */

type Body = Record<string, unknown>;

function openapiError(errcode: number): Body {
  return { errcode, errmsg: `${getErrmsg(errcode)}, rid: ${createRid()}` };
}

/**
 * quota/get `{cgi_path}`: 47001 for a body that is not a JSON object or a `cgi_path` that is not a string;
 * 76021 for a path the emulator does not meter (every `/sns/*`, and a path without its leading `/`: WeChat's
 * answer to that is UNCONFIRMED); 76022 for a path the account's type may not call.
 * @see docs/wechat-protocol.md §I1
 */
export function getQuota(ctx: EmulatorContext, app: WechatApp, body: Body | undefined): Body {
  const cgiPath = body?.cgi_path;
  if (typeof cgiPath !== "string") return openapiError(47001);
  if (!isMeteredPath(cgiPath)) return openapiError(76021);
  const callers: readonly string[] = METERED_PATHS[cgiPath].callers;
  if (!callers.includes(app.type)) return openapiError(76022);
  const dailyLimit = getDailyLimit(ctx.state.settings.dailyQuota, cgiPath);
  const used = ctx.state.quota.read(app.appid, cgiPath, ctx.state.now());
  return { errcode: 0, errmsg: "ok", quota: { daily_limit: dailyLimit, used, remain: Math.max(0, dailyLimit - used) } };
}

/**
 * rid/get `{rid}`: 76002 for anything that is not a rid's shape, 76001 for a rid the emulator did not
 * hand out (or has forgotten: it keeps the last 10,000), 76003 for another app's rid (or one whose call
 * named no known app), 76004 for a rid older than 7 days on the emulator clock.
 * @see docs/wechat-protocol.md §I2
 */
export function getRid(ctx: EmulatorContext, app: WechatApp, body: Body | undefined): Body {
  const rid = body?.rid;
  if (typeof rid !== "string" || !RID_PATTERN.test(rid)) return openapiError(76002);
  const record = ctx.state.rids.get(rid);
  if (!record) return openapiError(76001);
  if (record.appid !== app.appid) return openapiError(76003);
  if (ctx.state.now() - record.invokedAt > RID_TTL_MS) return openapiError(76004);
  return {
    errcode: 0,
    errmsg: "ok",
    request: {
      invoke_time: Math.floor(record.invokedAt / 1000),
      cost_in_ms: record.costMs,
      request_url: record.requestUrl,
      request_body: record.requestBody,
      response_body: record.responseBody,
      client_ip: record.clientIp,
    },
  };
}

/**
 * Counts one call of a metered `path` for `appid`; false when the day's quota is spent (the caller answers
 * 45009). Refused calls are not counted, so `used` stops at the limit.
 */
export function spendDailyQuota(ctx: EmulatorContext, appid: string, path: MeteredPathName): boolean {
  const { state } = ctx;
  return state.quota.spend(appid, path, getDailyLimit(state.settings.dailyQuota, path), state.now());
}

/**
 * The app a call was made for: the owner of its access token (an app token or a user's /sns token),
 * else the `appid` it names in the query, a JSON or form body, or HTTP Basic credentials. Only
 * registered apps count: an unknown appid's rid belongs to nobody.
 */
function findCaller(state: EmulatorState, req: IncomingMessage, url: URL, requestBody: string): string | undefined {
  const token = url.searchParams.get("access_token");
  if (token) return state.oa.appTokens.get(token)?.appid ?? state.accessTokens.get(token)?.appid;
  const candidates = [url.searchParams.get("appid"), readAppidFromBody(requestBody), readBasicUser(req.headers.authorization)];
  return candidates.find((appid): appid is string => typeof appid === "string" && state.registry.findApp(appid) !== undefined);
}

function readAppidFromBody(body: string): string | undefined {
  if (body.trim() === "") return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    const appid = typeof parsed === "object" && parsed !== null ? (parsed as { appid?: unknown }).appid : undefined;
    return typeof appid === "string" ? appid : undefined;
  } catch {
    return new URLSearchParams(body).get("appid") ?? undefined;
  }
}

function readBasicUser(header: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

/**
 * Remembers the call behind the rid of an API answer: registered once per API request (with its body,
 * already read), it records the request, the answer, its cost and the caller's address as the answer
 * goes out, so a rid/get right after the answer finds it.
 */
export function watchForRid(state: EmulatorState, req: IncomingMessage, res: ServerResponse, url: URL, requestBody: string): void {
  const invokedAt = state.now();
  const started = Date.now();
  onSend(res, (payload) => {
    // Success answers (tokens, QR images) carry no rid: skip them without decoding.
    if (!payload.includes("rid:")) return;
    const responseBody = payload.toString("utf8");
    const rid = findRidInAnswer(responseBody);
    if (rid === undefined) return;
    state.rids.add({
      rid,
      appid: findCaller(state, req, url, requestBody),
      invokedAt,
      costMs: Date.now() - started,
      requestUrl: url.search.replace(/^\?/, ""),
      requestBody,
      responseBody,
      clientIp: (req.socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
    });
  });
}
