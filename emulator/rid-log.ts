import { setCapped } from "./capped";

/**
 * The rids the emulator handed out in errmsgs, with the call that earned each, so that
 * `cgi-bin/openapi/rid/get` can explain them (docs/wechat-protocol.md §I2).
 */

/** What rid/get answers about one call. `appid` is the app the call was made for (undefined: none known). */
export type RidRecord = {
  rid: string;
  appid: string | undefined;
  /** Emulator clock, ms. */
  invokedAt: number;
  costMs: number;
  /** The query string without `?`: it carries the access token or the secret, as on WeChat. */
  requestUrl: string;
  requestBody: string;
  responseBody: string;
  clientIp: string;
};

export const MAX_RIDS = 10_000;
/** rid/get explains rids of the last 7 days (76004 after). */
export const RID_TTL_MS = 7 * 86_400_000;

/** The current rid shape: three groups of 8 hex digits (docs/wechat-protocol.md §0). */
export const RID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const RID_IN_ERRMSG = /rid:\s*([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})/;

export class RidLog {
  private readonly records = new Map<string, RidRecord>();

  add(record: RidRecord): void {
    setCapped(this.records, record.rid, record, MAX_RIDS);
  }

  get(rid: string): RidRecord | undefined {
    return this.records.get(rid);
  }

  get size(): number {
    return this.records.size;
  }

  clear(): void {
    this.records.clear();
  }
}

/** The rid in an errcode answer's errmsg, or undefined for success answers and bodies that are not JSON. */
export function findRidInAnswer(payload: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const { errcode, errmsg } = body as { errcode?: unknown; errmsg?: unknown };
  if (typeof errcode !== "number" || errcode === 0 || typeof errmsg !== "string") return undefined;
  return RID_IN_ERRMSG.exec(errmsg)?.[1];
}
