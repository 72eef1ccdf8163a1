import { VIRTUAL_USERS } from "../config";
import { escapeHtml, toInlineJson } from "../http";
import { renderDocument, WECHAT_GREEN } from "./layout";
import type { Lang } from "./layout";
import { formatUserLabel } from "./phone-page";

const TEXTS = {
  cn: {
    user: "谁在使用这部手机",
    phoneAsks: "申请获取并验证你的手机号",
    allow: "允许",
    deny: "拒绝",
    loading: "加载中…",
    failed: "小程序加载失败",
    unknown: "小程序不存在或页面未发布",
    switchLang: "English",
    hint: "WeChat 模拟器：此页面在浏览器中运行站点的小程序（miniprogram/）。",
  },
  en: {
    user: "Who is using this phone",
    phoneAsks: "wants to get and verify your phone number",
    allow: "Allow",
    deny: "Deny",
    loading: "Loading…",
    failed: "The mini program failed to load",
    unknown: "No such mini program or page",
    switchLang: "中文",
    hint: "WeChat emulator: this page runs the site's mini program (miniprogram/) in the browser.",
  },
} as const;

const CSS = `
body{background:#ededed;min-height:100vh}
.nav{position:sticky;top:0;height:48px;display:flex;align-items:center;justify-content:center;background:#ededed;font-size:17px;font-weight:600;border-bottom:1px solid rgba(0,0,0,.05)}
.capsule{position:absolute;right:10px;top:9px;width:87px;height:30px;border:1px solid rgba(0,0,0,.12);border-radius:15px;display:flex;align-items:center;justify-content:space-around;font-size:13px;color:#191919;background:rgba(255,255,255,.6)}
.phone{max-width:440px;margin:0 auto;padding:16px 20px 40px;text-align:center}
.who{display:flex;gap:8px;align-items:center;justify-content:center;font-size:13px;color:#7f7f7f;margin-bottom:20px}
.who select{font-size:14px;padding:4px 8px;border:1px solid #e0e0e0;border-radius:6px;background:#fff}
.site{font-size:20px;font-weight:600;word-break:break-all;margin:16px 0 0}
.asks{color:#7f7f7f;margin:4px 0 20px}
.card{background:#fff;border-radius:10px;padding:8px 16px;text-align:left}
.card div{display:flex;justify-content:space-between;gap:12px;padding:8px 0}
.card span:first-child{color:#7f7f7f}
.prompt{margin:24px 0 12px}
.choices{display:flex;justify-content:center;gap:12px}
.choice{width:76px;height:60px;font-size:28px;font-weight:600;background:#fff;border:2px solid transparent;border-radius:8px;cursor:pointer;font-family:inherit;color:#191919}
.choice[aria-pressed=true]{border-color:${WECHAT_GREEN};color:${WECHAT_GREEN}}
.actions{display:flex;flex-direction:column;gap:12px;align-items:center;margin-top:28px}
.btn{width:100%;max-width:320px;min-height:44px;border:0;border-radius:8px;font-size:16px;font-weight:600;cursor:pointer;font-family:inherit;padding:8px 12px}
.btn:disabled{opacity:.45;cursor:default}
.btn-primary{background:${WECHAT_GREEN};color:#fff}
.btn-default{background:#fff;color:${WECHAT_GREEN}}
.btn-plain{background:transparent;color:#576B95;font-weight:400}
.status{min-height:24px;margin:24px 0 0;font-size:16px;font-weight:600;color:#7f7f7f}
.status[data-state=confirmed]{color:${WECHAT_GREEN};margin-top:64px}
.status[data-state=cancelled],.status[data-state=mismatch],.status[data-state=error]{color:#fa5151;margin-top:64px}
.note{color:#7f7f7f;font-size:14px;margin:8px 0 0}
.mask{position:fixed;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:flex-end;justify-content:center}
.mask[hidden]{display:none}
.sheet{background:#fff;width:100%;max-width:480px;border-radius:12px 12px 0 0;padding:24px 20px 28px;text-align:left}
.sheet p{margin:0 0 20px;font-size:16px}
.sheet .buttons{display:flex;gap:12px}
.sheet .btn{flex:1}
.meta{margin-top:36px;font-size:12px;color:#9a9a9a;word-break:break-all}
`;

/** The phone's controller: loads the shim and the mini program's sources, backs `wx`, renders the page's data. */
const SCRIPT = `
import { createMiniProgram } from "/mp-runtime/runtime.js";

const cfg = JSON.parse(document.getElementById("mp-config").textContent);
const root = document.getElementById("mp-root");
const mask = document.getElementById("mp-phone-sheet");
let mp;

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === undefined || value === null) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children || []) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function tap(name, dataset) {
  return () => mp.call(name, { type: "tap", detail: {}, currentTarget: { dataset: dataset || {} }, target: { dataset: dataset || {} } });
}

async function control(path, body) {
  const response = await fetch("/_emulator/" + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(path + ": " + response.status);
  return response.json();
}

function statusText(data) {
  const texts = data.texts || {};
  if (data.state === "loading") return texts.loading || cfg.texts.loading;
  if (data.state === "confirming") return texts.confirming;
  if (data.state === "ready") return "";
  return data.message;
}

// Close to login.wxml: the same blocks, conditions and bindings.
function render(data) {
  const texts = data.texts || {};
  const busy = data.state === "confirming";
  const nodes = [];
  if (data.state === "ready" || busy) {
    const device = data.device || {};
    nodes.push(
      el("p", { class: "site", "data-testid": "mp-site" }, [data.site]),
      el("p", { class: "asks" }, [texts.asks]),
      el("div", { class: "card", "data-testid": "mp-device" }, [
        el("div", {}, [el("span", {}, [texts.device]), el("span", {}, [device.name])]),
        device.ip ? el("div", {}, [el("span", {}, [texts.ip]), el("span", {}, [device.ip])]) : null,
        device.time ? el("div", {}, [el("span", {}, [texts.time]), el("span", {}, [device.time])]) : null,
      ]),
      el("p", { class: "prompt" }, [texts.pick]),
      el(
        "div",
        { class: "choices" },
        (data.choices || []).map((choice) =>
          el("button", { type: "button", class: "choice", "data-testid": "mp-choice-" + choice, "aria-pressed": data.picked === choice ? "true" : "false", disabled: busy, onclick: tap("pick", { value: choice }) }, [choice]),
        ),
      ),
      el("div", { class: "actions" }, [
        data.phoneOffer
          ? el("button", { type: "button", class: "btn btn-primary", "data-testid": "mp-phone", disabled: !data.picked || busy, onclick: () => { mask.hidden = false; } }, [texts.confirmWithPhone])
          : null,
        el("button", { type: "button", class: "btn " + (data.phoneOffer ? "btn-default" : "btn-primary"), "data-testid": "mp-confirm", disabled: !data.picked || busy, onclick: tap("confirm") }, [texts.confirm]),
        el("button", { type: "button", class: "btn btn-plain", "data-testid": "mp-cancel", disabled: busy, onclick: tap("cancel") }, [texts.cancel]),
      ]),
    );
  }
  nodes.push(el("p", { class: "status", role: "status", "data-testid": "mp-status", "data-state": data.state }, [statusText(data)]));
  if (data.state === "confirmed" && data.phoneNote) nodes.push(el("p", { class: "note" }, [data.phoneNote]));
  if (data.state === "error" && data.canRetry) {
    nodes.push(el("div", { class: "actions" }, [el("button", { type: "button", class: "btn btn-default", "data-testid": "mp-retry", onclick: tap("retry") }, [texts.retry])]));
  }
  root.replaceChildren(...nodes);
}

function phoneAnswer(detail) {
  mask.hidden = true;
  mp.call("onPhoneNumber", { type: "getphonenumber", detail, currentTarget: { dataset: {} }, target: { dataset: {} } });
}

document.getElementById("mp-phone-allow").addEventListener("click", async () => {
  try {
    const answer = await control("mp/phone-code", { appid: cfg.appid, user: cfg.user });
    phoneAnswer(answer.code ? { errMsg: "getPhoneNumber:ok", code: answer.code } : { errMsg: answer.errMsg });
  } catch (error) {
    phoneAnswer({ errMsg: "getPhoneNumber:fail " + error.message });
  }
});
document.getElementById("mp-phone-deny").addEventListener("click", () => phoneAnswer({ errMsg: "getPhoneNumber:fail user deny" }));
document.getElementById("mp-user").addEventListener("change", (event) => {
  const url = new URL(location.href);
  url.searchParams.set("user", event.target.value);
  location.assign(url.toString());
});

const wx = {
  login(options) {
    control("mp/login", { appid: cfg.appid, user: cfg.user }).then(
      (answer) => options.success && options.success({ code: answer.code, errMsg: "login:ok" }),
      (error) => options.fail && options.fail({ errMsg: "login:fail " + error.message }),
    );
  },
  request(options) {
    fetch(options.url, { method: options.method || "GET", headers: options.header || {}, body: options.data === undefined ? undefined : JSON.stringify(options.data) })
      .then(async (response) => {
        const text = await response.text();
        let data = text;
        try { data = JSON.parse(text); } catch (_error) { data = text; }
        const header = {};
        response.headers.forEach((value, name) => { header[name] = value; });
        if (options.success) options.success({ statusCode: response.status, data, header, errMsg: "request:ok" });
      })
      .catch((error) => options.fail && options.fail({ errMsg: "request:fail " + error.message }));
  },
  getSystemInfoSync: () => ({ language: cfg.lang === "en" ? "en" : "zh_CN", platform: "devtools" }),
  getLaunchOptionsSync: () => ({ scene: cfg.launchScene, path: cfg.page, query: cfg.query }),
  showToast() {},
};

try {
  const names = { "pages/login/login": "pages/login/login.js", i18n: "i18n.js", config: "config.js" };
  const sources = {};
  await Promise.all(Object.entries(names).map(async ([name, file]) => {
    const response = await fetch("/mp-runtime/" + file, { cache: "no-store" });
    if (!response.ok) throw new Error(file + ": " + response.status);
    sources[name] = await response.text();
  }));
  mp = createMiniProgram({ sources, wx, onRender: render });
  render(mp.data());
  mp.load(cfg.query);
} catch (error) {
  root.replaceChildren(el("p", { class: "status", role: "status", "data-testid": "mp-status", "data-state": "error" }, [cfg.texts.failed + ": " + error.message]));
}
`;

export type MpPageOptions = {
  appid: string;
  appName: string;
  page: string;
  query: Record<string, string>;
  launchScene: number;
  user: string;
  lang: Lang;
  apiOrigin: string;
};

/** The mini-program page on the phone: WeChat's nav bar, a user picker, and the page the shim renders. */
export function renderMpPage(options: MpPageOptions): string {
  const texts = TEXTS[options.lang];
  const userOptions = VIRTUAL_USERS.map(
    (user) => `<option value="${escapeHtml(user.id)}"${user.id === options.user ? " selected" : ""}>${escapeHtml(formatUserLabel(user))}</option>`,
  ).join("");
  const config = {
    appid: options.appid,
    page: options.page,
    query: options.query,
    launchScene: options.launchScene,
    user: options.user,
    lang: options.lang,
    texts,
  };
  const otherLang = new URLSearchParams({ ...options.query, user: options.user, launch_scene: String(options.launchScene) });
  if (options.lang === "cn") otherLang.set("lang", "en");
  const body = `
<header class="nav"><span id="mp-app-name">${escapeHtml(options.appName)}</span><span class="capsule" aria-hidden="true"><span>···</span><span>◉</span></span></header>
<main class="phone">
  <label class="who">${escapeHtml(texts.user)}
    <select data-testid="mp-user" id="mp-user">${userOptions}</select>
  </label>
  <div id="mp-root"><p class="status" role="status" data-testid="mp-status" data-state="loading">${escapeHtml(texts.loading)}</p></div>
  <p class="meta">${escapeHtml(texts.hint)}<br>${escapeHtml(options.appid)} · ${escapeHtml(options.page)} · scene ${options.launchScene} · API ${escapeHtml(options.apiOrigin)}<br><a href="?${escapeHtml(otherLang.toString())}">${escapeHtml(texts.switchLang)}</a></p>
</main>
<div class="mask" id="mp-phone-sheet" hidden>
  <div class="sheet" role="dialog" aria-modal="true">
    <p><strong>${escapeHtml(options.appName)}</strong> ${escapeHtml(texts.phoneAsks)}</p>
    <div class="buttons">
      <button type="button" class="btn btn-default" data-testid="mp-phone-deny" id="mp-phone-deny">${escapeHtml(texts.deny)}</button>
      <button type="button" class="btn btn-primary" data-testid="mp-phone-allow" id="mp-phone-allow">${escapeHtml(texts.allow)}</button>
    </div>
  </div>
</div>
<script type="application/json" id="mp-config">${toInlineJson(config)}</script>
<script type="module">${SCRIPT}</script>`;
  return renderDocument({ lang: options.lang, title: options.appName, body, css: CSS, mobile: true });
}

/** An appid that is no mini program, or a page it does not have. */
export function renderUnknownMpPage(lang: Lang): string {
  const texts = TEXTS[lang];
  const body = `
<header class="nav">${lang === "en" ? "WeChat" : "微信"}</header>
<main class="phone">
  <p class="status" role="status" data-testid="mp-status" data-state="unknown" id="mp-unknown">${escapeHtml(texts.unknown)}</p>
  <p class="meta"><a href="/phone">/phone</a></p>
</main>`;
  return renderDocument({ lang, title: texts.unknown, body, css: CSS, mobile: true });
}
