import type { AppType } from "./config";

/**
 * Daily API quotas (docs/wechat-protocol.md §D, §H10, §I1): every metered `/cgi-bin/*` and `/wxa/*` call is
 * counted per app, path and Beijing day (the counters start over at midnight UTC+8); once a path's limit is
 * spent it answers 45009 "reach max api daily quota limit". `/sns/*` (jscode2session included) is not metered.
 */

export type MeteredPath = {
  /** WeChat's published daily limit, or the emulator's choice where none is published. */
  dailyLimit: number;
  /** The account types that may call the path; another type's quota/get is 76022. */
  callers: readonly AppType[];
};

const ACCOUNTS: readonly AppType[] = ["official_account", "mini_program"];

export const METERED_PATHS = {
  "/cgi-bin/token": { dailyLimit: 2000, callers: ACCOUNTS },
  "/cgi-bin/stable_token": { dailyLimit: 500_000, callers: ACCOUNTS },
  "/cgi-bin/qrcode/create": { dailyLimit: 100_000, callers: ["official_account"] },
  "/cgi-bin/user/info": { dailyLimit: 5_000_000, callers: ["official_account"] },
  // Unlimited codes at 5000 calls per minute (§H10): the emulator meters it as 5000 × 1440 per day.
  "/wxa/getwxacodeunlimit": { dailyLimit: 7_200_000, callers: ["mini_program"] },
  "/wxa/generate_urllink": { dailyLimit: 500_000, callers: ["mini_program"] },
} as const satisfies Record<string, MeteredPath>;

export type MeteredPathName = keyof typeof METERED_PATHS;

export const METERED_PATH_NAMES = Object.keys(METERED_PATHS) as MeteredPathName[];

export function isMeteredPath(path: string): path is MeteredPathName {
  return Object.hasOwn(METERED_PATHS, path);
}

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/** The day number of `ms` in Beijing time: quotas reset at 00:00 UTC+8. */
export function beijingDay(ms: number): number {
  return Math.floor((ms + BEIJING_OFFSET_MS) / 86_400_000);
}

/** The limit in force for `path`: the `dailyQuota` setting when it names the path, else WeChat's. */
export function getDailyLimit(overrides: Readonly<Record<string, number>>, path: MeteredPathName): number {
  return overrides[path] ?? METERED_PATHS[path].dailyLimit;
}

/** Calls counted per app and path for the current Beijing day of the emulator clock. */
export class QuotaStore {
  private readonly counters = new Map<string, { day: number; used: number }>();

  /** Calls of `path` by `appid` today. */
  read(appid: string, path: MeteredPathName, now: number): number {
    const entry = this.counters.get(`${appid} ${path}`);
    return entry?.day === beijingDay(now) ? entry.used : 0;
  }

  /** Counts one call, or answers false (and counts nothing) when today's `limit` is spent. */
  spend(appid: string, path: MeteredPathName, limit: number, now: number): boolean {
    const used = this.read(appid, path, now);
    if (used >= limit) return false;
    this.counters.set(`${appid} ${path}`, { day: beijingDay(now), used: used + 1 });
    return true;
  }

  /** Today's non-zero counters. */
  list(now: number): { appid: string; path: MeteredPathName; used: number }[] {
    const today = beijingDay(now);
    return [...this.counters.entries()]
      .filter(([, entry]) => entry.day === today && entry.used > 0)
      .map(([key, entry]) => {
        const [appid = "", path] = key.split(" ");
        return { appid, path: path as MeteredPathName, used: entry.used };
      });
  }

  clear(): void {
    this.counters.clear();
  }
}
