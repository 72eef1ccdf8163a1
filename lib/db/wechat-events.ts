/**
 * WeChat trouble outside any one attempt, kept for the operator console's health page across
 * instances: errcodes of API calls, access-token refresh failures, refused pushes.
 *
 * CONTRACT STUB: the telemetry work fills these in; the signatures are what callers rely on.
 */
import "server-only";
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

/** Stores one event; never throws (a failed write is logged), so it can sit on any error path. */
export async function recordWechatEvent(_event: NewWechatEvent): Promise<void> {}

/** Newest first. */
export async function listWechatEvents(_filter: { kind?: WechatEventKind; since?: Date; limit?: number } = {}): Promise<WechatEvent[]> {
  return [];
}

export type WechatEventCount = { kind: WechatEventKind; endpoint: string | null; errcode: number | null; count: number; lastAt: Date };

/** Events since `since`, grouped by kind, endpoint and errcode, most frequent first. */
export async function countWechatEvents(_since: Date): Promise<WechatEventCount[]> {
  return [];
}
