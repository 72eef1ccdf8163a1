import { escapeHtml } from "../http";
import { renderDocument, WECHAT_GREEN } from "./layout";

const CSS = `
body{background:#ededed;min-height:100vh}
.wx-page{max-width:480px;margin:0 auto;padding:72px 24px 32px;text-align:center}
.wx-icon{width:72px;height:72px;border-radius:50%;margin:0 auto 24px;color:#fff;font-size:44px;line-height:72px;font-weight:700}
.wx-icon-warn{background:#fa9d3b}
.wx-icon-warn::before{content:"!"}
.wx-icon-info{background:#10aeff}
.wx-icon-info::before{content:"i";font-family:Georgia,serif}
.wx-title{font-size:20px;font-weight:500;margin:0 0 10px;word-break:break-word}
.wx-code{font-size:17px;color:#191919;margin:0 0 4px}
.wx-desc{font-size:15px;color:#7f7f7f;margin:0;word-break:break-word}
.emu-note{margin-top:40px;font-size:12px;color:#9a9a9a;line-height:1.6}
.users{display:flex;flex-direction:column;gap:10px;margin:24px auto 0;max-width:320px}
.users a{display:block;background:#fff;border-radius:8px;padding:12px 16px;color:#191919;font-size:16px;text-align:left}
.users a:hover{text-decoration:none;background:#f7f7f7}
.users small{color:#9a9a9a;margin-left:6px}
.mask{position:fixed;inset:0;background:rgba(0,0,0,.5)}
.sheet{position:fixed;left:0;right:0;bottom:0;background:#fff;border-radius:12px 12px 0 0;padding:20px 24px calc(28px + env(safe-area-inset-bottom));max-width:560px;margin:0 auto}
.sheet-app{display:flex;align-items:center;gap:8px;font-size:15px;font-weight:600}
.sheet-app .logo{width:24px;height:24px;border-radius:50%;background:${WECHAT_GREEN};color:#fff;font-size:13px;line-height:24px;text-align:center}
.sheet-app span.req{font-weight:400;color:#191919}
.sheet h2{font-size:17px;font-weight:600;margin:20px 0 6px}
.sheet .scope{font-size:14px;color:#7f7f7f;margin:0 0 18px}
.sheet .who{display:flex;align-items:center;gap:12px;padding:12px 0;border-top:1px solid #f0f0f0;border-bottom:1px solid #f0f0f0}
.sheet .who img,.sheet .who .ph{width:40px;height:40px;border-radius:6px;background:#e5e5e5}
.sheet .who .name{font-size:16px}
.sheet .who .hint{font-size:12px;color:#9a9a9a}
.sheet .buttons{display:flex;gap:16px;justify-content:center;margin-top:26px}
.sheet button{width:132px;height:40px;border:0;border-radius:6px;font-size:16px;font-weight:600;cursor:pointer;font-family:inherit}
#oa-deny{background:#f2f2f2;color:${WECHAT_GREEN}}
#oa-allow{background:${WECHAT_GREEN};color:#fff}
`;

const FOOTER = `<p class="emu-note"><span class="emu-badge">WeChat Emulator</span></p>`;

/** Error texts of the in-WeChat authorization page, by the code it shows. */
export const OA_AUTH_ERRORS: Readonly<Record<number, string>> = {
  10003: "redirect_uri域名与后台配置不一致",
  10005: "此公众号并没有这些scope的权限",
  10010: "scope不能为空",
  10011: "redirect_uri不能为空",
  10012: "appid不能为空",
};

/** What WeChat shows for a link it will not open at all (wrong parameter order, bad response_type, …). */
export const OA_LINK_ERROR = "该链接无法访问";

function page(title: string, body: string): string {
  return renderDocument({ lang: "cn", title, body, css: CSS, mobile: true });
}

/**
 * The in-WeChat error page of connect/oauth2/authorize: WeChat's "Oops" with the numeric code and its text,
 * or, for a link it refuses outright, only "该链接无法访问".
 */
export function renderOaErrorPage(options: { code?: number; message: string }): string {
  const code =
    options.code === undefined
      ? ""
      : `<h2 class="wx-title">Oops! Something went wrong:(</h2>
  <p class="wx-code" id="oa-error-code">${options.code}</p>`;
  const message =
    options.code === undefined
      ? `<h2 class="wx-title" id="oa-error-message">${escapeHtml(options.message)}</h2>`
      : `<p class="wx-desc" id="oa-error-message">${escapeHtml(options.message)}</p>`;
  const body = `<main class="wx-page" id="oa-error" data-code="${options.code ?? ""}">
  <div class="wx-icon wx-icon-warn" aria-hidden="true"></div>
  ${code}
  ${message}
  ${FOOTER}
</main>`;
  return page("微信网页授权", body);
}

/** What an authorize link shows in a browser that is not WeChat's. */
export function renderNotInWechatPage(): string {
  const body = `<main class="wx-page" id="oa-not-wechat">
  <div class="wx-icon wx-icon-info" aria-hidden="true"></div>
  <h2 class="wx-title">请在微信客户端打开链接</h2>
  <p class="emu-note"><span class="emu-badge">WeChat Emulator</span><br>
  The emulator treats a browser as WeChat when its User-Agent contains <code>MicroMessenger</code>
  (Playwright: <code>userAgent</code>; Chrome DevTools: network conditions).</p>
</main>`;
  return page("微信", body);
}

/** The emulator's own page when no virtual user is acting yet (no `wx_user` cookie). */
export function renderPickUserPage(users: readonly { label: string; href: string }[]): string {
  const links = users.map((user) => `<a href="${escapeHtml(user.href)}">${escapeHtml(user.label)}</a>`).join("\n");
  const body = `<main class="wx-page" id="oa-pick-user">
  <h2 class="wx-title">选择微信用户</h2>
  <p class="wx-desc">WeChat Emulator: who is using WeChat on this browser?</p>
  <div class="users">${links}</div>
  ${FOOTER}
</main>`;
  return page("选择微信用户", body);
}

/** The snsapi_userinfo consent sheet: 允许 (`#oa-allow`) or 拒绝 (`#oa-deny`), posted as a form. */
export function renderConsentPage(options: { appName: string; consentId: string; nickname: string; headimgurl: string }): string {
  const initial = escapeHtml(Array.from(options.appName.trim())[0] ?? "W");
  const avatar = options.headimgurl ? `<img src="${escapeHtml(options.headimgurl)}" alt="">` : `<div class="ph" aria-hidden="true"></div>`;
  const body = `<div class="mask"></div>
<form class="sheet" id="oa-consent" method="post" action="/connect/oauth2/consent">
  <input type="hidden" name="id" value="${escapeHtml(options.consentId)}">
  <div class="sheet-app"><span class="logo" aria-hidden="true">${initial}</span><span id="oa-app-name">${escapeHtml(options.appName)}</span><span class="req">申请</span></div>
  <h2>获取你的昵称、头像</h2>
  <p class="scope">用于在该网页中展示你的公开信息</p>
  <div class="who">${avatar}<div><div class="name" id="oa-nickname">${escapeHtml(options.nickname)}</div><div class="hint">微信个人信息</div></div></div>
  <div class="buttons">
    <button type="submit" name="action" value="deny" id="oa-deny">拒绝</button>
    <button type="submit" name="action" value="allow" id="oa-allow">允许</button>
  </div>
</form>`;
  return page("微信授权", body);
}

/** After 拒绝 when WeChat does not redirect: the page just says so. */
export function renderRefusedPage(): string {
  const body = `<main class="wx-page" id="oa-refused">
  <div class="wx-icon wx-icon-info" aria-hidden="true"></div>
  <h2 class="wx-title">已拒绝</h2>
  <p class="wx-desc">你已拒绝授权，可关闭此页面</p>
  ${FOOTER}
</main>`;
  return page("微信授权", body);
}

/**
 * The snapshot-page marker: WeChat renders the developer's page read-only under a "使用完整服务" bar, and any
 * identity obtained there is virtual. The emulator marks the hop and continues to the callback at once.
 */
export function renderSnapshotPage(redirectTo: string): string {
  const body = `<main class="wx-page" id="oa-snapshot" data-redirect="${escapeHtml(redirectTo)}">
  <div class="wx-icon wx-icon-info" aria-hidden="true"></div>
  <h2 class="wx-title">当前为朋友圈快照页</h2>
  <p class="wx-desc">快照页中获得的身份为虚拟身份（is_snapshotuser）</p>
  <p class="emu-note"><a id="oa-snapshot-continue" href="${escapeHtml(redirectTo)}">继续 / Continue</a></p>
</main>
<script>window.location.replace(document.getElementById("oa-snapshot").getAttribute("data-redirect"));</script>`;
  return page("快照页", body);
}
