import "server-only";
import { getEnv, type WechatAppConfig } from "@/lib/env";

export type WechatAppKey = WechatAppConfig["key"];

/** The three kinds of WeChat app the site can be configured with. */
export type WechatAppKind = "website" | "official_account" | "mini_program";

/** Any configured app, named by our key and its kind; what the console shows beside an attempt's appid. */
export type WechatAppSummary = { kind: WechatAppKind; key: string; appId: string };

/** A configured app with its AppSecret (server-side callers only). */
export type ConfiguredWechatApp = WechatAppSummary & { secret: string };

/** The configured website apps; the first is the default one. */
export function listWechatApps(): WechatAppConfig[] {
  return getEnv().wechat.apps;
}

export function findWechatApp(key: string | null | undefined): WechatAppConfig | undefined {
  const apps = listWechatApps();
  if (!key) return apps[0];
  return apps.find((app) => app.key === key);
}

export function findWechatAppById(appId: string): WechatAppConfig | undefined {
  return listWechatApps().find((app) => app.appId === appId);
}

/** Every configured app: website apps, then Official Accounts, then mini programs. */
export function listEveryWechatApp(): ConfiguredWechatApp[] {
  const { apps, officialAccounts, miniPrograms } = getEnv().wechat;
  return [
    ...apps.map(({ key, appId, secret }) => ({ kind: "website" as const, key, appId, secret })),
    ...officialAccounts.map(({ key, appId, secret }) => ({ kind: "official_account" as const, key, appId, secret })),
    ...miniPrograms.map(({ key, appId, secret }) => ({ kind: "mini_program" as const, key, appId, secret })),
  ];
}

/** The apps that hold an app access token (`stable_token`): Official Accounts and mini programs, never website apps. */
export function listTokenHoldingApps(): (ConfiguredWechatApp & { kind: "official_account" | "mini_program" })[] {
  return listEveryWechatApp().filter((app): app is ConfiguredWechatApp & { kind: "official_account" | "mini_program" } => app.kind !== "website");
}

/** The configured app (of any kind) with this appid, secret included. */
export function findAnyWechatAppById(appId: string): ConfiguredWechatApp | undefined {
  return listEveryWechatApp().find((app) => app.appId === appId);
}

/** Which configured app an appid is (kind and key), without its secret; undefined for an appid not configured. */
export function describeWechatAppById(appId: string): WechatAppSummary | undefined {
  const app = findAnyWechatAppById(appId);
  return app && { kind: app.kind, key: app.key, appId: app.appId };
}
