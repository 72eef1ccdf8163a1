import { VIRTUAL_USERS } from "../config";
import { escapeHtml, toInlineJson } from "../http";
import type { QrSession, QrStatus } from "../state";
import { renderDocument, WECHAT_GREEN } from "./layout";
import type { Lang } from "./layout";

const TEXTS = {
  cn: {
    pageTitle: "微信登录确认",
    bar: "微信",
    request: "申请使用你的微信帐号登录",
    userLabel: "选择登录的微信用户",
    scan: "扫一扫",
    confirm: "确认登录",
    cancel: "取消",
    results: {
      waiting: "",
      scanned: "已扫描，请确认登录",
      confirmed: "已确认登录",
      cancelled: "已取消",
      expired: "二维码已失效",
    },
    unknown: "二维码不存在",
    failed: "操作失败",
    hint: "WeChat 模拟器：此页面代替手机上的微信。",
  },
  en: {
    pageTitle: "Confirm WeChat login",
    bar: "WeChat",
    request: "wants to log in with your WeChat account",
    userLabel: "Log in as",
    scan: "Scan",
    confirm: "Confirm login",
    cancel: "Cancel",
    results: {
      waiting: "",
      scanned: "Scanned. Please confirm",
      confirmed: "Login confirmed",
      cancelled: "Cancelled",
      expired: "QR code expired",
    },
    unknown: "Unknown QR code",
    failed: "Action failed",
    hint: "WeChat emulator: this page stands in for WeChat on the phone.",
  },
} as const;

const CSS = `
body{background:#ededed;min-height:100vh}
.bar{position:sticky;top:0;height:48px;display:flex;align-items:center;justify-content:center;background:#ededed;font-size:17px;font-weight:600;border-bottom:1px solid rgba(0,0,0,.05)}
.phone{max-width:440px;margin:0 auto;padding:32px 20px 40px;text-align:center}
.app-icon{width:64px;height:64px;border-radius:14px;background:${WECHAT_GREEN};color:#fff;font-size:30px;font-weight:600;line-height:64px;margin:8px auto 14px}
.app-name{font-size:20px;font-weight:600;margin:0}
.app-desc{color:#7f7f7f;font-size:15px;margin:6px 0 28px}
.card{background:#fff;border-radius:10px;padding:14px 16px;text-align:left;margin-bottom:28px}
.card label{display:block;font-size:13px;color:#7f7f7f;margin-bottom:8px}
select{width:100%;font-size:17px;padding:10px 12px;border:1px solid #e0e0e0;border-radius:8px;background:#fff;color:#191919;appearance:auto}
.actions{display:flex;flex-direction:column;gap:12px;align-items:center}
.btn{width:184px;height:42px;border:0;border-radius:8px;font-size:17px;font-weight:600;cursor:pointer;font-family:inherit}
.btn:disabled{opacity:.5;cursor:default}
.btn-primary{background:${WECHAT_GREEN};color:#fff}
.btn-primary:active{background:#06ad56}
.btn-default{background:#fff;color:${WECHAT_GREEN}}
.btn-plain{background:transparent;color:#576B95;font-weight:400}
#phone-result{min-height:26px;margin:22px 0 0;font-size:16px;font-weight:600}
#phone-result[data-status=confirmed]{color:${WECHAT_GREEN}}
#phone-result[data-status=cancelled],#phone-result[data-status=expired],#phone-result[data-status=error]{color:#fa5151}
.meta{margin-top:28px;font-size:12px;color:#9a9a9a;word-break:break-all}
`;

const SCRIPT = `
(function () {
  var cfg = JSON.parse(document.getElementById("phone-config").textContent);
  var select = document.getElementById("phone-user");
  var result = document.getElementById("phone-result");
  var buttons = [document.getElementById("phone-scan"), document.getElementById("phone-confirm"), document.getElementById("phone-cancel")];
  var STORAGE_KEY = "wechat-emulator:user";

  try {
    var saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved && select.querySelector('option[value="' + saved + '"]')) select.value = saved;
  } catch (e) {}
  select.addEventListener("change", remember);

  // The wx_user cookie is who the emulator's in-WeChat pages (connect/oauth2/authorize) act as.
  function remember() {
    try { window.localStorage.setItem(STORAGE_KEY, select.value); } catch (e) {}
    document.cookie = "wx_user=" + encodeURIComponent(select.value) + "; path=/; max-age=31536000; SameSite=Lax";
  }

  function show(status, text) {
    result.setAttribute("data-status", status);
    result.textContent = text;
    var finished = status === "confirmed" || status === "expired" || status === "unknown";
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = finished;
  }

  function showSession() {
    return fetch(cfg.controlUrl, { cache: "no-store" }).then(function (response) {
      if (response.status === 404) { show("unknown", cfg.texts.unknown); return; }
      return response.json().then(function (session) { show(session.status, cfg.texts.results[session.status] || ""); });
    });
  }

  function act(action) {
    remember();
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    fetch(cfg.controlUrl + "/" + action, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(action === "cancel" ? {} : { user: select.value })
    })
      .then(function (response) {
        if (response.ok) return response.json().then(function (session) { show(session.status, cfg.texts.results[session.status] || ""); });
        return showSession();
      })
      .catch(function () { show("error", cfg.texts.failed); for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false; });
  }

  document.getElementById("phone-scan").addEventListener("click", function () { act("scan"); });
  document.getElementById("phone-confirm").addEventListener("click", function () { act("confirm"); });
  document.getElementById("phone-cancel").addEventListener("click", function () { act("cancel"); });
})();
`;

/** Label of a user in the phone page's picker; says whether logging in as them yields a unionid. */
export function formatUserLabel(user: { nickname: string; hasUnionid: boolean }): string {
  return `${user.nickname} (${user.hasUnionid ? "unionid" : "no unionid"})`;
}

/** The page the QR code encodes: stands in for WeChat on the phone (scan, confirm, cancel). */
export function renderPhonePage(options: { session: QrSession; appName: string; lang: Lang; status: QrStatus }): string {
  const { session, lang, status } = options;
  const texts = TEXTS[lang];
  const finished = status === "confirmed" || status === "expired";
  const disabled = finished ? " disabled" : "";
  const userOptions = VIRTUAL_USERS.map(
    (user) => `<option value="${escapeHtml(user.id)}"${user.id === session.userId ? " selected" : ""}>${escapeHtml(formatUserLabel(user))}</option>`,
  ).join("");
  const config = { controlUrl: `/_emulator/qr/${encodeURIComponent(session.uuid)}`, texts };
  const initial = options.appName.trim().charAt(0).toUpperCase() || "W";

  const body = `
<header class="bar">${escapeHtml(texts.bar)}</header>
<main class="phone">
  <div class="app-icon" aria-hidden="true">${escapeHtml(initial)}</div>
  <h1 class="app-name" id="phone-app-name">${escapeHtml(options.appName)}</h1>
  <p class="app-desc">${escapeHtml(texts.request)}</p>
  <div class="card">
    <label for="phone-user">${escapeHtml(texts.userLabel)}</label>
    <select id="phone-user">${userOptions}</select>
  </div>
  <div class="actions">
    <button type="button" id="phone-confirm" class="btn btn-primary"${disabled}>${escapeHtml(texts.confirm)}</button>
    <button type="button" id="phone-scan" class="btn btn-default"${disabled}>${escapeHtml(texts.scan)}</button>
    <button type="button" id="phone-cancel" class="btn btn-plain"${disabled}>${escapeHtml(texts.cancel)}</button>
  </div>
  <p id="phone-result" role="status" data-status="${status}">${escapeHtml(texts.results[status])}</p>
  <p class="meta">${escapeHtml(texts.hint)}<br>uuid ${escapeHtml(session.uuid)}</p>
</main>
<script type="application/json" id="phone-config">${toInlineJson(config)}</script>
<script>${SCRIPT}</script>`;

  return renderDocument({ lang, title: texts.pageTitle, body, css: CSS, mobile: true });
}

/** The phone page for a uuid the emulator does not know (reset, evicted, mistyped). */
export function renderUnknownPhonePage(lang: Lang): string {
  const texts = TEXTS[lang];
  const body = `
<header class="bar">${escapeHtml(texts.bar)}</header>
<main class="phone">
  <p id="phone-result" role="status" data-status="unknown">${escapeHtml(texts.unknown)}</p>
  <p class="meta"><a href="/phone">/phone</a></p>
</main>`;
  return renderDocument({ lang, title: texts.pageTitle, body, css: CSS, mobile: true });
}
