import { escapeHtml, toInlineJson } from "../http";
import type { QrSession } from "../state";
import { renderDocument, WECHAT_GREEN } from "./layout";
import type { Lang } from "./layout";

const TEXTS = {
  cn: {
    title: "微信登录",
    waiting: "使用微信扫一扫登录",
    scanned: "扫描成功，请在微信中点击确认即可登录",
    cancelled: "你已取消此次登录，可再次扫描登录",
    expiredPrefix: "二维码已失效，",
    expiredLink: "点击刷新",
    confirmed: "已确认，正在登录…",
    redirectBlocked: "浏览器阻止了页面跳转",
    phoneLink: "在本机打开手机确认页",
  },
  en: {
    title: "WeChat Login",
    waiting: "Scan with WeChat to log in",
    scanned: "Scanned. Confirm on your phone",
    cancelled: "You cancelled this login. Scan again",
    expiredPrefix: "QR code expired. ",
    expiredLink: "Click to refresh",
    confirmed: "Confirmed. Logging in…",
    redirectBlocked: "The browser blocked the redirect",
    phoneLink: "Open the phone page on this computer",
  },
} as const;

export type QrPageLayout = "page" | "jssdk" | "lite";

export type QrconnectPageOptions = {
  session: QrSession;
  appName: string;
  lang: Lang;
  layout: QrPageLayout;
  /** `white` is wxLogin's light-on-dark variant; only the embedded layouts honour it. */
  style: "black" | "white";
  stylesheetHref?: string;
  /** Same path and query as the current request: reloading it mints a new QR for the same login. */
  refreshUrl: string;
};

const CSS = `
body{background:#f2f2f2;min-height:100vh;display:flex;align-items:center;justify-content:center}
.impowerBox{text-align:center;background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.08);padding:36px 40px 26px;width:420px}
.impowerBox .title{font-size:22px;font-weight:600;margin:0 0 22px;letter-spacing:.5px}
.impowerBox .qrcode{display:block;width:260px;height:260px;margin:0 auto;border:1px solid #e6e6e6;border-radius:6px;transition:opacity .2s}
.wrp_code{position:relative;display:inline-block}
.wrp_code a{display:block}
.impowerBox .info{margin-top:18px;min-height:64px}
.impowerBox .status{display:flex;align-items:flex-start;justify-content:center;gap:8px;font-size:15px;margin:0}
.status_icon{display:none;flex:0 0 20px;width:20px;height:20px;border-radius:50%;margin-top:1px;color:#fff;font-size:13px;line-height:20px;font-weight:700}
.impowerBox .status p{margin:0}
.app-name{margin:6px 0 0;color:#7f7f7f;font-size:13px}
.emu-footer{margin-top:18px;padding-top:14px;border-top:1px solid #f0f0f0;display:flex;justify-content:space-between;align-items:center}
.emu-footer a{font-size:12px}
[data-status=scanned] .status_icon,[data-status=confirmed] .status_icon{display:inline-block;background:${WECHAT_GREEN}}
[data-status=scanned] .status_icon::before,[data-status=confirmed] .status_icon::before{content:"\\2713"}
[data-status=cancelled] .status_icon::before,[data-status=expired] .status_icon::before{content:"!"}
[data-status=cancelled] .status_icon,[data-status=expired] .status_icon{display:inline-block;background:#fa9d3b}
[data-status=scanned] .qrcode,[data-status=cancelled] .qrcode,[data-status=expired] .qrcode,[data-status=confirmed] .qrcode{opacity:.2}
#wx-refresh{color:${WECHAT_GREEN};font-weight:600}
body.layout-jssdk,body.layout-lite{background:transparent;min-height:0;display:block;overflow:hidden}
.layout-jssdk .impowerBox,.layout-lite .impowerBox{background:transparent;box-shadow:none;border-radius:0;padding:18px 10px 0;width:300px;height:400px;margin:0 auto}
.layout-jssdk .impowerBox .title{font-size:20px;margin:0 0 14px}
.layout-jssdk .impowerBox .qrcode,.layout-lite .impowerBox .qrcode{width:220px;height:220px}
.layout-jssdk .impowerBox .info,.layout-lite .impowerBox .info{width:260px;margin:14px auto 0}
.layout-jssdk .impowerBox .status,.layout-lite .impowerBox .status{font-size:14px}
.layout-lite .impowerBox .title{display:none}
.layout-lite .impowerBox{padding-top:40px}
.style-white .impowerBox .title,.style-white .impowerBox .status{color:#fff}
.style-white .app-name{color:rgba(255,255,255,.6)}
.style-white .impowerBox .qrcode{border-color:rgba(255,255,255,.2)}
`;

// Kept in ES5 so the page also runs in old embedded browsers; mirrors emulator/callback-url.ts.
const SCRIPT = `
(function () {
  var cfg = JSON.parse(document.getElementById("wx-config").textContent);
  var box = document.getElementById("wx-box");
  var statusEl = document.getElementById("wx-status");
  var last = 0;

  function setStatus(status) {
    box.setAttribute("data-status", status);
    statusEl.setAttribute("data-status", status);
    if (status !== "expired") { statusEl.textContent = cfg.texts[status]; return; }
    statusEl.textContent = cfg.texts.expiredPrefix;
    var link = document.createElement("a");
    link.id = "wx-refresh";
    link.href = cfg.refreshUrl;
    link.textContent = cfg.texts.expiredLink;
    statusEl.appendChild(link);
  }

  function callbackUrl(code) {
    var base = cfg.redirectUri;
    var query = (code === undefined ? "" : "code=" + encodeURIComponent(code) + "&") + "state=" + encodeURIComponent(cfg.state);
    return base + (base.indexOf("?") >= 0 ? "&" : "?") + query;
  }

  function go(url) {
    try {
      if (cfg.selfRedirect) window.location.href = url;
      else window.top.location.href = url;
    } catch (e) {
      statusEl.textContent = cfg.texts.redirectBlocked;
    }
  }

  function handle(body) {
    var match = /wx_errcode=(\\d+)/.exec(body);
    var errcode = match ? Number(match[1]) : 408;
    if (errcode === 405) {
      var code = /wx_code='([^']*)'/.exec(body);
      setStatus("confirmed");
      go(callbackUrl(code ? code[1] : ""));
      return false;
    }
    if (errcode === 402) { setStatus("expired"); return false; }
    if (errcode === 404) setStatus("scanned");
    if (errcode === 403) {
      setStatus("cancelled");
      if (cfg.refusal === "state-only") { go(callbackUrl()); return false; }
    }
    if (errcode !== 408) last = errcode;
    return true;
  }

  function poll() {
    var url = cfg.pollUrl + "?uuid=" + encodeURIComponent(cfg.uuid) + (last ? "&last=" + last : "") + "&_=" + Date.now();
    fetch(url, { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("poll failed: " + response.status);
        return response.text();
      })
      .then(function (body) { if (handle(body)) poll(); })
      .catch(function () { setTimeout(poll, 2000); });
  }

  poll();
})();
`;

/** The QR page of /connect/qrconnect: full page, or the compact wxLogin.js iframe variant. */
export function renderQrconnectPage(options: QrconnectPageOptions): string {
  const { session, lang, layout } = options;
  const texts = TEXTS[lang];
  const embedded = layout !== "page";
  const phonePath = `/connect/confirm?uuid=${encodeURIComponent(session.uuid)}`;
  const config = {
    uuid: session.uuid,
    pollUrl: "/connect/l/qrconnect",
    redirectUri: session.redirectUri,
    state: session.state,
    selfRedirect: session.selfRedirect,
    refusal: session.refusal,
    refreshUrl: options.refreshUrl,
    texts,
  };
  const bodyClass = [`layout-${layout}`, embedded && options.style === "white" ? "style-white" : ""].join(" ").trim();
  const head = options.stylesheetHref ? `<link rel="stylesheet" href="${escapeHtml(options.stylesheetHref)}">` : "";
  const footer = embedded
    ? ""
    : `<div class="emu-footer"><span class="emu-badge">WeChat Emulator</span><a href="${escapeHtml(phonePath)}" target="_blank" rel="noopener">${escapeHtml(texts.phoneLink)}</a></div>`;

  const body = `
<div class="impowerBox" id="wx-box" data-status="waiting">
  <div class="title">${escapeHtml(texts.title)}</div>
  <div class="wrp_code">
    <a href="${escapeHtml(phonePath)}" target="_blank" rel="noopener" title="${escapeHtml(texts.phoneLink)}">
      <img id="wx-qr" class="qrcode lightBorder" data-uuid="${escapeHtml(session.uuid)}" src="/connect/qrcode/${escapeHtml(session.uuid)}" alt="QR">
    </a>
  </div>
  <div class="info">
    <div class="status">
      <span class="status_icon" aria-hidden="true"></span>
      <p id="wx-status" data-status="waiting">${escapeHtml(texts.waiting)}</p>
    </div>
    <p class="app-name" id="wx-app-name">“${escapeHtml(options.appName)}”</p>
  </div>
  ${footer}
</div>
<script type="application/json" id="wx-config">${toInlineJson(config)}</script>
<script>${SCRIPT}</script>`;

  return renderDocument({ lang, title: texts.title, body, css: CSS, head, bodyClass });
}

/** The `f=xml` answer third-party pollers use to learn the uuid without scraping HTML. */
export function renderQrconnectXml(session: QrSession, appName: string): string {
  const cdata = (text: string): string => `<![CDATA[${text.replaceAll("]]>", "]]]]><![CDATA[>")}]]>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<xml><uuid>${cdata(session.uuid)}</uuid><appname>${cdata(appName)}</appname><expire_seconds>${Math.round((session.expiresAt - session.createdAt) / 1000)}</expire_seconds></xml>\n`;
}
