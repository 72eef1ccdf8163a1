// The login page's labels. WeChat reports its own language (zh_CN, zh_TW, en, …) in getSystemInfoSync;
// English for "en…", Chinese otherwise, like the site. The language also goes to the site as
// Accept-Language, so its error messages match.
var TEXTS = {
  "zh-CN": {
    title: "登录确认",
    loading: "正在读取登录请求…",
    asks: "请求在以下设备上登录",
    device: "设备",
    ip: "IP 地址",
    time: "时间",
    unknownDevice: "未知设备",
    pick: "请选择电脑上显示的数字",
    confirm: "确认登录",
    confirmWithPhone: "确认并分享我的微信手机号",
    cancel: "取消",
    confirming: "正在确认…",
    confirmed: "已确认，请回到电脑继续",
    phoneBound: "手机号已绑定到你的帐号",
    phoneMoved: "手机号已绑定到你的帐号（已从另一个帐号移除）",
    phoneFailed: "未能获取手机号，可在电脑上绑定",
    cancelled: "已取消此次登录",
    mismatch: "数字不一致，已取消此次登录",
    singlePage: "朋友圈中打开的页面无法登录，请用微信扫描电脑上的小程序码",
    missingScene: "缺少登录信息，请重新扫描电脑上的小程序码",
    network: "网络异常，请重试",
    loginFailed: "微信登录失败，请重试",
    failed: "出错了，请在电脑上刷新小程序码",
    retry: "重试",
  },
  en: {
    title: "Confirm sign-in",
    loading: "Loading the sign-in request…",
    asks: "wants to sign in on this device",
    device: "Device",
    ip: "IP address",
    time: "Time",
    unknownDevice: "Unknown device",
    pick: "Pick the number shown on the computer",
    confirm: "Confirm",
    confirmWithPhone: "Confirm and share my WeChat phone number",
    cancel: "Cancel",
    confirming: "Confirming…",
    confirmed: "Confirmed. Go back to your computer.",
    phoneBound: "Your phone number is now on your account.",
    phoneMoved: "Your phone number is now on your account (taken off another account).",
    phoneFailed: "The phone number could not be read; you can add one on the computer.",
    cancelled: "Sign-in cancelled.",
    mismatch: "The numbers did not match. This sign-in was cancelled.",
    singlePage: "A page opened from Moments cannot sign in. Scan the code on the computer with WeChat.",
    missingScene: "No sign-in request found. Scan the code on the computer again.",
    network: "Network error. Try again.",
    loginFailed: "WeChat login failed. Try again.",
    failed: "Something went wrong. Refresh the code on the computer.",
    retry: "Retry",
  },
};

/** "en" for English WeChat languages, "zh-CN" for everything else. */
function pickLanguage(language) {
  return /^en/i.test(String(language || "")) ? "en" : "zh-CN";
}

/** The language WeChat runs in and its labels. */
function load() {
  var language = "";
  try {
    language = wx.getSystemInfoSync().language;
  } catch (_e) {
    language = "";
  }
  var lang = pickLanguage(language);
  return { lang: lang, texts: TEXTS[lang] };
}

module.exports = { TEXTS: TEXTS, pickLanguage: pickLanguage, load: load };
