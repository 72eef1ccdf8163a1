import { escapeHtml } from "../http";
import { renderDocument } from "./layout";
import type { Lang } from "./layout";

const CSS = `
body{background:#fff;min-height:100vh;display:flex;align-items:flex-start;justify-content:center}
.weui-msg{text-align:center;padding:96px 24px 24px;max-width:420px}
.weui-msg__icon{width:64px;height:64px;border-radius:50%;background:#fa5151;color:#fff;font-size:40px;line-height:64px;font-weight:700;margin:0 auto 24px}
.weui-msg__icon::before{content:"!"}
.weui-msg__title{font-size:20px;font-weight:500;margin:0 0 12px;word-break:break-word}
`;

/**
 * WeChat answers a bad qrconnect request with an HTML error page (no redirect) whose only text is the
 * message; that text is the contract, so it is rendered verbatim and never translated.
 */
export function renderErrorPage(options: { lang: Lang; message: string }): string {
  const title = options.lang === "en" ? "WeChat Login" : "微信登录";
  const body = `
<div class="weui-msg">
  <div class="weui-msg__icon" aria-hidden="true"></div>
  <h2 class="weui-msg__title" id="wx-error">${escapeHtml(options.message)}</h2>
</div>`;
  return renderDocument({ lang: options.lang, title, body, css: CSS });
}
