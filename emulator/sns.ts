import type { IncomingMessage, ServerResponse } from "node:http";
import { ACCESS_TOKEN_TTL_SECONDS, findUser, getHeadimgurl, givesUnionid, snapshotUnionidFor, unionidFor } from "./config";
import type { VirtualUser, WechatApp } from "./config";
import { getErrmsg } from "./errcodes";
import { applyFault } from "./faults";
import type { SnsEndpoint } from "./faults";
import { createRid, readBody, send } from "./http";
import type { AccessTokenRecord, EmulatorState } from "./state";

type SnsContext = { state: EmulatorState; publicUrl: string };

type SnsBody = Record<string, unknown>;

/** Request parameters from the query, a form body and HTTP Basic credentials; empty values count as missing. */
type SnsParams = {
  get(name: string): string | undefined;
  basic?: { user: string; password: string };
};

const SNS_ROUTES: Readonly<Record<string, SnsEndpoint>> = {
  "/sns/oauth2/access_token": "sns/oauth2/access_token",
  "/sns/oauth2/refresh_token": "sns/oauth2/refresh_token",
  "/sns/auth": "sns/auth",
  "/sns/userinfo": "sns/userinfo",
};

const SCOPE_BASE = "snsapi_base";

/** The fault/endpoint name for a pathname, or undefined when it is not an sns endpoint. */
export function matchSnsRoute(pathname: string): SnsEndpoint | undefined {
  return SNS_ROUTES[pathname];
}

/**
 * Answers one api.weixin.qq.com `/sns/*` call. Like WeChat, every answer is HTTP 200 with a JSON body labelled
 * `text/plain`, and errors are `{errcode, errmsg}` with a trailing rid, so Content-Type-sensitive clients fail
 * here the way they would in production.
 * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Authorized_Interface_Calling_UnionID.html
 */
export async function handleSns(ctx: SnsContext, endpoint: SnsEndpoint, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const fault = ctx.state.faults.consume(endpoint);
  if (fault && (await applyFault(fault, res))) return;

  const params = await readSnsParams(req, url);
  const body = answerSns(ctx, endpoint, params);
  send(res, 200, JSON.stringify(body), { "Content-Type": "text/plain" });
}

function answerSns(ctx: SnsContext, endpoint: SnsEndpoint, params: SnsParams): SnsBody {
  switch (endpoint) {
    case "sns/oauth2/access_token":
      return exchangeCode(ctx, params);
    case "sns/oauth2/refresh_token":
      return refreshAccessToken(ctx, params);
    case "sns/auth":
      return checkAccessToken(ctx, params);
    case "sns/userinfo":
      return getUserinfo(ctx, params);
  }
}

function snsError(errcode: number): SnsBody {
  return { errcode, errmsg: `${getErrmsg(errcode)}, rid: ${createRid()}` };
}

async function readSnsParams(req: IncomingMessage, url: URL): Promise<SnsParams> {
  const values = new Map<string, string>();
  for (const [name, value] of url.searchParams) values.set(name, value);

  if (req.method === "POST") {
    const raw = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    // Auth.js posts the code grant as a form, as OAuth 2 says; WeChat itself documents only GET.
    if (contentType.includes("application/x-www-form-urlencoded") || !contentType) {
      for (const [name, value] of new URLSearchParams(raw)) values.set(name, value);
    }
  }

  const basic = parseBasicAuth(req.headers.authorization);
  return {
    get: (name) => {
      const value = values.get(name);
      return value === undefined || value === "" ? undefined : value;
    },
    ...(basic ? { basic } : {}),
  };
}

/** RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded before base64. */
function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    const formDecode = (part: string): string => decodeURIComponent(part.replaceAll("+", " "));
    return { user: formDecode(decoded.slice(0, colon)), password: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function exchangeCode(ctx: SnsContext, params: SnsParams): SnsBody {
  const appid = params.get("appid") ?? params.basic?.user;
  if (!appid) return snsError(41002);
  const app = ctx.state.registry.findApp(appid);
  if (!app) return snsError(40013);
  const secret = params.get("secret") ?? params.basic?.password;
  if (!secret) return snsError(41004);
  if (secret !== app.secret) return snsError(40125);
  if (params.get("grant_type") !== "authorization_code") return snsError(40002);
  const code = params.get("code");
  if (!code) return snsError(41008);

  const record = ctx.state.codes.get(code);
  if (!record || record.appid !== app.appid) return snsError(40029);
  if (record.used) return snsError(40163);
  // OA web-auth codes live 5 minutes, website codes 10. Real servers answer 40029 for stale codes even though
  // 42003 is documented.
  const { settings } = ctx.state;
  const ttlSeconds = app.type === "official_account" ? settings.oaCodeTtlSeconds : settings.codeTtlSeconds;
  if (ctx.state.now() - record.issuedAt > ttlSeconds * 1000) return snsError(40029);
  record.used = true;

  const snapshot = record.snapshot === true;
  const { access, refresh } = ctx.state.issueTokens(app, record.userId, record.scope, { snapshot });
  return {
    access_token: access.token,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refresh.token,
    openid: access.openid,
    scope: access.scope,
    ...(snapshot ? { is_snapshotuser: 1 } : {}),
    ...(record.scope === SCOPE_BASE ? {} : unionidField(ctx, app, record.userId, snapshot)),
  };
}

/**
 * Refresh keeps a live access token (extending it) and mints a new one only when it has expired.
 * The refresh token itself is never renewed: after 30 days the user must log in again.
 */
function refreshAccessToken(ctx: SnsContext, params: SnsParams): SnsBody {
  const appid = params.get("appid");
  if (!appid) return snsError(41002);
  const app = ctx.state.registry.findApp(appid);
  if (!app) return snsError(40013);
  if (params.get("grant_type") !== "refresh_token") return snsError(40002);
  const token = params.get("refresh_token");
  if (!token) return snsError(41003);
  const refresh = ctx.state.refreshTokens.get(token);
  if (!refresh || refresh.appid !== app.appid) return snsError(40030);
  const now = ctx.state.now();
  if (now >= refresh.expiresAt) return snsError(42002);

  const expiresAt = now + ACCESS_TOKEN_TTL_SECONDS * 1000;
  const current = ctx.state.accessTokens.get(refresh.accessToken);
  if (current && now < current.expiresAt) {
    current.expiresAt = expiresAt;
  } else {
    const replacement: AccessTokenRecord = {
      token: ctx.state.createAccessTokenValue(),
      appid: app.appid,
      userId: refresh.userId,
      openid: refresh.openid,
      scope: refresh.scope,
      ...(refresh.snapshot ? { snapshot: true } : {}),
      expiresAt,
    };
    ctx.state.storeAccessToken(replacement);
    refresh.accessToken = replacement.token;
  }

  // The documented refresh answer has no unionid, so neither has ours: clients must not depend on it here.
  return {
    access_token: refresh.accessToken,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refresh.token,
    openid: refresh.openid,
    scope: refresh.scope,
  };
}

type TokenCheck = { ok: true; record: AccessTokenRecord; user: VirtualUser } | { ok: false; body: SnsBody };

function checkTokenAndOpenid(ctx: SnsContext, params: SnsParams): TokenCheck {
  const token = params.get("access_token");
  if (!token) return { ok: false, body: snsError(41001) };
  const record = ctx.state.accessTokens.get(token);
  if (!record) return { ok: false, body: snsError(40014) };
  if (ctx.state.now() >= record.expiresAt) return { ok: false, body: snsError(42001) };
  const openid = params.get("openid");
  if (!openid) return { ok: false, body: snsError(41009) };
  if (openid !== record.openid) return { ok: false, body: snsError(40003) };
  const user = findUser(record.userId);
  if (!user) return { ok: false, body: snsError(-1) };
  return { ok: true, record, user };
}

function checkAccessToken(ctx: SnsContext, params: SnsParams): SnsBody {
  const check = checkTokenAndOpenid(ctx, params);
  return check.ok ? { errcode: 0, errmsg: "ok" } : check.body;
}

/**
 * Since WeChat's 2021 privacy change sex is 0 and region fields are empty strings, but still present.
 * snsapi_base tokens and snapshot-page tokens get 48001: neither carries a userinfo grant.
 * @see https://developers.weixin.qq.com/community/develop/doc/00028edbe3c58081e7cc834705b801
 */
function getUserinfo(ctx: SnsContext, params: SnsParams): SnsBody {
  const check = checkTokenAndOpenid(ctx, params);
  if (!check.ok) return check.body;
  if (check.record.scope === SCOPE_BASE || check.record.snapshot) return snsError(48001);
  const app = ctx.state.registry.findApp(check.record.appid);
  return {
    openid: check.record.openid,
    nickname: check.user.nickname,
    sex: 0,
    language: "",
    city: "",
    province: "",
    country: "",
    headimgurl: getHeadimgurl(ctx.publicUrl, check.user),
    privilege: [],
    ...(app ? unionidField(ctx, app, check.user.id) : {}),
  };
}

/**
 * unionid is absent (not null, not empty) for users whose account has none, and from apps not bound to
 * the Open Platform account (`unboundApps`). OA web auth hands it out only with snsapi_userinfo (callers
 * skip snsapi_base); a snapshot identity gets a virtual one.
 */
function unionidField(ctx: SnsContext, app: WechatApp, userId: string, snapshot = false): { unionid?: string } {
  const user = findUser(userId);
  if (!user || !givesUnionid(app, user, ctx.state.settings.unboundApps)) return {};
  return { unionid: snapshot ? snapshotUnionidFor(app.openAccountId, userId) : unionidFor(app.openAccountId, userId) };
}
