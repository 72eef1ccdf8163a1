/**
 * The WeChat health page's data: each app's access token (age, next refresh by the token
 * module's own margin), quota per endpoint, and the WeChat trouble of the last day.
 */
import "server-only";
import { listAppTokenTimes } from "@/lib/db/app-tokens";
import { countWechatEvents, listWechatEvents } from "@/lib/db/wechat-events";
import { REFRESH_MARGIN_MS } from "@/lib/wechat/app-token";
import { listTokenHoldingApps } from "@/lib/wechat/apps";
import { readQuotas } from "@/lib/wechat/diagnostics";

const DAY = 86_400_000;

export type TokenHealth = {
  appId: string;
  kind: "official_account" | "mini_program";
  /** Null until the app's first API call fetched a token. */
  token: { ageMs: number; refreshAt: Date; isRefreshDue: boolean; expiresAt: Date } | null;
};

export async function readWechatHealth(now = Date.now()) {
  const since = new Date(now - DAY);
  const [tokens, quotas, counts, recent] = await Promise.all([
    listAppTokenTimes(),
    readQuotas(),
    countWechatEvents(since),
    listWechatEvents({ since, limit: 20 }),
  ]);
  // Only Official Accounts and mini programs hold app-level tokens (website apps use each user's OAuth tokens).
  const apps = listTokenHoldingApps().map(({ appId, kind }) => ({ appId, kind }));
  const tokenHealth: TokenHealth[] = apps.map((app) => {
    const stored = tokens.find((row) => row.appId === app.appId);
    if (!stored) return { ...app, token: null };
    const refreshAt = new Date(stored.expiresAt.getTime() - REFRESH_MARGIN_MS);
    return { ...app, token: { ageMs: now - stored.updatedAt.getTime(), refreshAt, isRefreshDue: refreshAt.getTime() <= now, expiresAt: stored.expiresAt } };
  });
  return { tokens: tokenHealth, refreshMarginMs: REFRESH_MARGIN_MS, quotas, counts, recent };
}
