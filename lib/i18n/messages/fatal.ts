/** The page shown when a page itself fails: generic on purpose, the detail is in the server log. */
export const zh = {
  "fatal.heading": "页面出错了",
  "fatal.body": "服务器处理请求时出错，请稍后重试。",
  "fatal.reference": "问题编号：{ref}",
  "fatal.retry": "重试",
} as const;

export const en = {
  "fatal.heading": "Something went wrong",
  "fatal.body": "The server could not handle this request. Please try again shortly.",
  "fatal.reference": "Reference: {ref}",
  "fatal.retry": "Try again",
} satisfies Record<keyof typeof zh, string>;
