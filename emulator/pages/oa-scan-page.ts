import { VIRTUAL_USERS } from "../config";
import { escapeHtml, toInlineJson } from "../http";
import { renderDocument, WECHAT_GREEN } from "./layout";
import { formatUserLabel } from "./phone-page";

const TEXTS = {
  bar: "微信",
  kind: "公众号",
  userLabel: "以哪个微信用户扫码",
  scanNew: "以新关注者身份扫码",
  scanExisting: "以已关注者身份扫码",
  sending: "正在推送事件…",
  noReply: "公众号未回复消息（success / 空包）",
  sent: "已推送",
  attempts: "次尝试",
  expired: "二维码已过期",
  failed: "操作失败",
  unknown: "二维码已失效或不存在",
  hint: "WeChat 模拟器：此页面代替手机上的微信扫描公众号带参二维码。",
} as const;

const CSS = `
body{background:#ededed;min-height:100vh}
.bar{position:sticky;top:0;height:48px;display:flex;align-items:center;justify-content:center;background:#ededed;font-size:17px;font-weight:600;border-bottom:1px solid rgba(0,0,0,.05);z-index:1}
.phone{max-width:440px;margin:0 auto;padding:24px 16px 40px}
.profile{background:#fff;border-radius:10px;padding:18px 16px;display:flex;align-items:center;gap:14px;margin-bottom:14px}
.oa-logo{flex:0 0 56px;width:56px;height:56px;border-radius:50%;background:${WECHAT_GREEN};color:#fff;font-size:26px;font-weight:600;line-height:56px;text-align:center}
.oa-name{font-size:18px;font-weight:600;margin:0}
.oa-kind{font-size:12px;color:#7f7f7f}
.scene{font-size:12px;color:#9a9a9a;word-break:break-all;margin-top:2px}
.card{background:#fff;border-radius:10px;padding:14px 16px;margin-bottom:18px}
.card label{display:block;font-size:13px;color:#7f7f7f;margin-bottom:8px}
select{width:100%;font-size:17px;padding:10px 12px;border:1px solid #e0e0e0;border-radius:8px;background:#fff;color:#191919;appearance:auto}
.actions{display:flex;flex-direction:column;gap:12px;align-items:center}
.btn{width:220px;height:42px;border:0;border-radius:8px;font-size:16px;font-weight:600;cursor:pointer;font-family:inherit}
.btn:disabled{opacity:.5;cursor:default}
.btn-primary{background:${WECHAT_GREEN};color:#fff}
.btn-default{background:#fff;color:${WECHAT_GREEN}}
.chat{margin-top:24px;display:flex;flex-direction:column;gap:10px}
.msg{display:flex;align-items:flex-start;gap:10px}
.msg .oa-logo{flex:0 0 40px;width:40px;height:40px;font-size:18px;line-height:40px;border-radius:6px}
.bubble{position:relative;background:#fff;border-radius:6px;padding:10px 12px;font-size:16px;line-height:1.5;max-width:78%;white-space:pre-wrap;word-break:break-word}
.bubble::before{content:"";position:absolute;left:-6px;top:14px;border:6px solid transparent;border-left:0;border-right-color:#fff}
.bubble a{color:#576B95;text-decoration:underline}
#oa-status{font-size:12px;color:#9a9a9a;text-align:center;min-height:18px;margin:14px 0 0}
#oa-error-detail{font-size:12px;color:#fa5151;margin:4px 0 0 50px;word-break:break-word}
[hidden]{display:none!important}
.meta{margin-top:28px;font-size:12px;color:#9a9a9a;word-break:break-all;text-align:center}
`;

// ES5 like the other phone page. The reply is rendered with DOM nodes only: text stays text, and only the
// http(s) anchors the server found become links (same tab, as WeChat opens them in its own browser).
const SCRIPT = `
(function () {
  var cfg = JSON.parse(document.getElementById("oa-config").textContent);
  var select = document.getElementById("phone-user");
  var buttons = [document.getElementById("oa-scan-new"), document.getElementById("oa-scan-existing")];
  var status = document.getElementById("oa-status");
  var replyRow = document.getElementById("oa-reply-row");
  var reply = document.getElementById("oa-reply");
  var errorRow = document.getElementById("oa-error-row");
  var errorText = document.getElementById("oa-error");
  var errorDetail = document.getElementById("oa-error-detail");
  var STORAGE_KEY = "wechat-emulator:user";

  try {
    var saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved && select.querySelector('option[value="' + saved + '"]')) select.value = saved;
  } catch (e) {}
  select.addEventListener("change", remember);

  function remember() {
    try { window.localStorage.setItem(STORAGE_KEY, select.value); } catch (e) {}
    document.cookie = "wx_user=" + encodeURIComponent(select.value) + "; path=/; max-age=31536000; SameSite=Lax";
  }

  function setBusy(busy) {
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = busy;
  }

  function clear() {
    replyRow.hidden = true;
    errorRow.hidden = true;
    errorDetail.hidden = true;
    while (reply.firstChild) reply.removeChild(reply.firstChild);
  }

  function showError(text, detail) {
    errorText.textContent = text;
    errorRow.hidden = false;
    if (detail) { errorDetail.textContent = detail; errorDetail.hidden = false; }
  }

  function showReply(r) {
    if (r.msgType === "text") {
      var parts = r.parts || [];
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].href) {
          var link = document.createElement("a");
          link.href = parts[i].href;
          link.textContent = parts[i].text;
          reply.appendChild(link);
        } else {
          reply.appendChild(document.createTextNode(parts[i].text));
        }
      }
    } else {
      reply.textContent = "[" + r.msgType + "]";
    }
    replyRow.hidden = false;
  }

  function show(report) {
    status.textContent = cfg.texts.sent + " " + report.event + " · " + report.attempts + " " + cfg.texts.attempts + (report.status === null ? "" : " · HTTP " + report.status);
    if (!report.delivered) { showError(report.userMessage, report.error); return; }
    if (report.reply && report.reply.msgType) showReply(report.reply);
    else status.textContent += " · " + cfg.texts.noReply;
  }

  function scan(as) {
    remember();
    clear();
    setBusy(true);
    status.textContent = cfg.texts.sending;
    fetch(cfg.controlUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ticket: cfg.ticket, user: select.value, as: as })
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) { show(body); return; }
          status.textContent = "";
          showError(response.status === 409 ? cfg.texts.expired : cfg.texts.failed, body.error);
        });
      })
      .catch(function () { status.textContent = ""; showError(cfg.texts.failed, ""); })
      .then(function () { setBusy(false); });
  }

  buttons[0].addEventListener("click", function () { scan("new"); });
  buttons[1].addEventListener("click", function () { scan("existing"); });
})();
`;

export type OaScanPageOptions = {
  ticket: string;
  appName: string;
  /** `scene_str` or `scene_id`, as the pushes will carry it. */
  scene: string;
  actionName: string;
  expired: boolean;
};

function renderShell(body: string): string {
  return renderDocument({ lang: "cn", title: "扫描公众号二维码", body, css: CSS, mobile: true });
}

/** GET /oa/scan: what the parametric QR image encodes; the developer's stand-in for scanning it in WeChat. */
export function renderOaScanPage(options: OaScanPageOptions): string {
  const initial = escapeHtml(Array.from(options.appName.trim())[0] ?? "W");
  const userOptions = VIRTUAL_USERS.map((user) => `<option value="${escapeHtml(user.id)}">${escapeHtml(formatUserLabel(user))}</option>`).join("");
  const disabled = options.expired ? " disabled" : "";
  const config = { ticket: options.ticket, controlUrl: "/_emulator/oa/scan", texts: TEXTS };
  const body = `
<header class="bar">${escapeHtml(TEXTS.bar)}</header>
<main class="phone">
  <div class="profile">
    <div class="oa-logo" aria-hidden="true">${initial}</div>
    <div>
      <h1 class="oa-name" id="oa-name">${escapeHtml(options.appName)}</h1>
      <div class="oa-kind">${escapeHtml(TEXTS.kind)}</div>
      <div class="scene" id="oa-scene">${escapeHtml(options.actionName)} · scene ${escapeHtml(options.scene)}</div>
    </div>
  </div>
  <div class="card">
    <label for="phone-user">${escapeHtml(TEXTS.userLabel)}</label>
    <select id="phone-user">${userOptions}</select>
  </div>
  <div class="actions">
    <button type="button" id="oa-scan-new" class="btn btn-primary"${disabled}>${escapeHtml(TEXTS.scanNew)}</button>
    <button type="button" id="oa-scan-existing" class="btn btn-default"${disabled}>${escapeHtml(TEXTS.scanExisting)}</button>
  </div>
  <p id="oa-status" role="status">${options.expired ? escapeHtml(TEXTS.expired) : ""}</p>
  <div class="chat">
    <div class="msg" id="oa-reply-row" hidden><div class="oa-logo" aria-hidden="true">${initial}</div><div class="bubble" id="oa-reply"></div></div>
    <div id="oa-error-row" hidden>
      <div class="msg"><div class="oa-logo" aria-hidden="true">${initial}</div><div class="bubble error" id="oa-error"></div></div>
      <p id="oa-error-detail" hidden></p>
    </div>
  </div>
  <p class="meta">${escapeHtml(TEXTS.hint)}<br>ticket ${escapeHtml(options.ticket)}</p>
</main>
<script type="application/json" id="oa-config">${toInlineJson(config)}</script>
<script>${SCRIPT}</script>`;
  return renderShell(body);
}

/** The scan page for a ticket or url the emulator does not know. */
export function renderUnknownOaScanPage(): string {
  return renderShell(`
<header class="bar">${escapeHtml(TEXTS.bar)}</header>
<main class="phone">
  <p id="oa-status" role="status" style="font-size:16px;color:#fa5151;font-weight:600">${escapeHtml(TEXTS.unknown)}</p>
  <p class="meta"><a href="/phone">/phone</a></p>
</main>`);
}
