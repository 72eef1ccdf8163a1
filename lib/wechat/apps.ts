import "server-only";
import { getEnv, type WechatAppConfig } from "@/lib/env";

export type WechatAppKey = WechatAppConfig["key"];

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
