/** Shared by every page and message: the product's name, the language switch, durations. */
export const zh = {
  "app.title": "微信扫码登录",
  "lang.switchTo": "English",
  "duration.second": "{n} 秒",
  "duration.seconds": "{n} 秒",
  "duration.minute": "{n} 分钟",
  "duration.minutes": "{n} 分钟",
  "duration.hour": "{n} 小时",
  "duration.hours": "{n} 小时",
} as const;

export const en: Record<keyof typeof zh, string> = {
  "app.title": "Sign in with WeChat",
  "lang.switchTo": "中文",
  "duration.second": "{n} second",
  "duration.seconds": "{n} seconds",
  "duration.minute": "{n} minute",
  "duration.minutes": "{n} minutes",
  "duration.hour": "{n} hour",
  "duration.hours": "{n} hours",
};
