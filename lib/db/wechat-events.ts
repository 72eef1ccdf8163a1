/**
 * WeChat trouble outside any one attempt, kept for the operator console's health page across
 * instances: errcodes of API calls, access-token refresh failures, refused pushes.
 */
import "server-only";
import { logger } from "@/lib/logger";
import { db, isDatabaseOpen } from "./client";
import type { WechatEvent } from "./generated/client";

export const WECHAT_EVENT_KINDS = ["api_error", "token_refresh_failed", "push_rejected"] as const;
export type WechatEventKind = (typeof WECHAT_EVENT_KINDS)[number];

export type NewWechatEvent = {
  kind: WechatEventKind;
  appId?: string | undefined;
  endpoint?: string | undefined;
  errcode?: number | undefined;
  rid?: string | undefined;
  reason?: string | undefined;
};

const MAX_TEXT = 200;

function clip(value: string | undefined): string | null {
  return value === undefined ? null : value.slice(0, MAX_TEXT);
}

/**
 * Stores one event; never throws (a failed write is logged), so it can sit on any error path.
 * Only into a database this process has already opened (the server opens it at start): an error
 * path must not be the one that opens, or migrates, an embedded database.
 */
export async function recordWechatEvent(event: NewWechatEvent): Promise<void> {
  if (!isDatabaseOpen()) return;
  try {
    const prisma = await db();
    await prisma.wechatEvent.create({
      data: {
        kind: event.kind,
        appId: clip(event.appId),
        // The path without query and leading slash (`cgi-bin/stable_token`): a query may hold a secret.
        endpoint: event.endpoint === undefined ? null : clip(event.endpoint.split(/[?#]/, 1)[0]?.replace(/^\/+/, "")),
        errcode: event.errcode ?? null,
        rid: clip(event.rid),
        reason: clip(event.reason),
      },
    });
  } catch (error) {
    logger.warn("wechat.event.record_failed", { kind: event.kind, reason: error instanceof Error ? error.name : String(error) });
  }
}

/** Newest first. */
export async function listWechatEvents(filter: { kind?: WechatEventKind; since?: Date; limit?: number } = {}): Promise<WechatEvent[]> {
  const prisma = await db();
  return prisma.wechatEvent.findMany({
    where: { ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.since ? { createdAt: { gte: filter.since } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(filter.limit ?? 50, 1), 500),
  });
}

export type WechatEventCount = { kind: WechatEventKind; endpoint: string | null; errcode: number | null; count: number; lastAt: Date };

/** Events since `since`, grouped by kind, endpoint and errcode, most frequent first. */
export async function countWechatEvents(since: Date): Promise<WechatEventCount[]> {
  const prisma = await db();
  const groups = await prisma.wechatEvent.groupBy({
    by: ["kind", "endpoint", "errcode"],
    where: { createdAt: { gte: since } },
    _count: { _all: true },
    _max: { createdAt: true },
  });
  return groups
    .filter((group) => (WECHAT_EVENT_KINDS as readonly string[]).includes(group.kind))
    .map((group) => ({
      kind: group.kind as WechatEventKind,
      endpoint: group.endpoint,
      errcode: group.errcode,
      count: group._count._all,
      lastAt: group._max.createdAt ?? since,
    }))
    .sort((a, b) => b.count - a.count || b.lastAt.getTime() - a.lastAt.getTime());
}
