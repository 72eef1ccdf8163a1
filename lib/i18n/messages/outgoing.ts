/** The texts of the SMS and emails we send (lib/messaging/templates.ts puts them together). */
export const zh = {
  "sms.signed": "【{product}】{text}",
  "sms.code": "验证码 {code}，{ttl}内有效。",
  "mail.code.subject": "【{product}】邮箱验证码",
  "mail.code.intro": "您正在绑定这个邮箱，验证码是：",
  "mail.code.expiry": "验证码 {ttl}内有效，请勿告诉他人。",
  "mail.code.linkIntro": "也可以点击下面的链接直接完成绑定：",
  "mail.code.linkLabel": "完成绑定",
  "mail.code.ignore": "如果这不是您本人的操作，请忽略这封邮件。",
  "mail.moved.phone": "手机号",
  "mail.moved.email": "邮箱",
  "mail.moved.subject": "【{product}】你的{what}已转移到另一个微信账号",
  "mail.moved.body":
    "你的{what}已于 {time}（北京时间）被另一个微信账号验证，并已转移到该账号。你原来的账号和微信身份保持不变。如果这不是你本人的操作，请用你的微信登录，在账号页面查看记录并重新绑定，或联系网站客服。",
} as const;

export const en: Record<keyof typeof zh, string> = {
  "sms.signed": "[{product}] {text}",
  "sms.code": "Your verification code is {code}. It expires in {ttl}.",
  "mail.code.subject": "{product}: your email verification code",
  "mail.code.intro": "You are adding this email address to your account. Your verification code is:",
  "mail.code.expiry": "The code expires in {ttl}. Do not share it with anyone.",
  "mail.code.linkIntro": "Or confirm with one click:",
  "mail.code.linkLabel": "Confirm this email",
  "mail.code.ignore": "If this was not you, you can ignore this email.",
  "mail.moved.phone": "phone number",
  "mail.moved.email": "email address",
  "mail.moved.subject": "{product}: your {what} moved to another WeChat account",
  "mail.moved.body":
    "Your {what} was verified by another WeChat account on {time} (China Standard Time) and moved to it. Your own account and WeChat identity are unchanged. If that wasn't you, sign in with your WeChat, check the history on your account page and bind it again, or contact the site.",
};
