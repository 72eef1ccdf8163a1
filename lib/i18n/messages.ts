/** UI strings. zh-CN is the default; every key exists in both languages (checked by the type). */
export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-CN";
export const LOCALE_COOKIE = "locale";

const zh = {
  "app.title": "微信扫码登录",
  "login.heading": "微信扫码登录",
  "login.subtitle": "使用微信扫描二维码，在手机上确认即可登录",
  "login.redirectLink": "打开微信登录页面",
  "login.redirectHint": "二维码显示不出来？",
  "login.validFor": "二维码有效期还剩 {seconds} 秒",
  "login.expired": "二维码已过期",
  "login.refresh": "刷新二维码",
  "login.loading": "正在生成二维码…",
  "login.loadFailed": "二维码加载失败，请刷新重试。",
  "login.emulatorHint": "开发模式：使用内置的微信模拟器。",
  "login.emulatorPhone": "打开模拟器手机页",
  "login.otherApp": "通过第二个网站应用登录",
  "lang.switchTo": "English",
  "error.heading": "登录没有完成",
  "error.code": "错误代码：{code}",
  "error.next.scan_again": "重新扫码",
  "error.next.retry_later": "稍后重试",
  "error.next.start_again": "重新开始登录",
  "error.next.contact_site": "返回登录页",
  "error.contactHint": "如果问题一直存在，请联系网站管理员，并告知上面的错误代码。",
  "account.heading": "我的账号",
  "account.nickname": "微信昵称",
  "account.userId": "账号 ID",
  "account.appWeb": "网站应用",
  "account.appWeb2": "网站应用（第二品牌）",
  "account.unionid": "UnionID",
  "account.noUnionid": "无（该微信应用未提供 UnionID）",
  "account.identities": "已关联的微信应用",
  "account.app": "应用",
  "account.openid": "OpenID",
  "account.firstSeen": "首次使用",
  "account.lastSeen": "最近使用",
  "account.sessions": "登录中的设备",
  "account.sessionCreated": "登录时间",
  "account.sessionDevice": "设备",
  "account.sessionIp": "IP",
  "account.sessionExpires": "有效期至",
  "account.thisDevice": "当前设备",
  "account.signOut": "退出登录",
  "account.unknownDevice": "未知设备",
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  "app.title": "Sign in with WeChat",
  "login.heading": "Sign in with WeChat",
  "login.subtitle": "Scan the QR code with WeChat and confirm on your phone",
  "login.redirectLink": "Open WeChat's login page",
  "login.redirectHint": "QR code not showing?",
  "login.validFor": "QR code valid for {seconds} more seconds",
  "login.expired": "The QR code has expired",
  "login.refresh": "Refresh QR code",
  "login.loading": "Generating QR code…",
  "login.loadFailed": "The QR code could not be loaded. Please refresh.",
  "login.emulatorHint": "Development mode: using the bundled WeChat emulator.",
  "login.emulatorPhone": "Open the emulator's phone page",
  "login.otherApp": "Sign in through the second website app",
  "lang.switchTo": "中文",
  "error.heading": "Sign-in did not complete",
  "error.code": "Error code: {code}",
  "error.next.scan_again": "Scan again",
  "error.next.retry_later": "Try again",
  "error.next.start_again": "Start again",
  "error.next.contact_site": "Back to sign-in",
  "error.contactHint": "If this keeps happening, contact the site and quote the error code above.",
  "account.heading": "My account",
  "account.nickname": "WeChat nickname",
  "account.userId": "Account ID",
  "account.appWeb": "Website app",
  "account.appWeb2": "Website app (second brand)",
  "account.unionid": "UnionID",
  "account.noUnionid": "None (this WeChat app does not provide a UnionID)",
  "account.identities": "Linked WeChat apps",
  "account.app": "App",
  "account.openid": "OpenID",
  "account.firstSeen": "First used",
  "account.lastSeen": "Last used",
  "account.sessions": "Signed-in devices",
  "account.sessionCreated": "Signed in",
  "account.sessionDevice": "Device",
  "account.sessionIp": "IP",
  "account.sessionExpires": "Valid until",
  "account.thisDevice": "This device",
  "account.signOut": "Sign out",
  "account.unknownDevice": "Unknown device",
};

const MESSAGES: Record<Locale, Record<MessageKey, string>> = { "zh-CN": zh, en };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** A translator for one locale; `{name}` placeholders are filled from `values`. */
export function translator(locale: Locale) {
  return (key: MessageKey, values?: Record<string, string | number>): string => {
    const template = MESSAGES[locale][key];
    return values ? template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`)) : template;
  };
}
