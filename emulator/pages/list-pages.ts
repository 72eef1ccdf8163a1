import { escapeHtml } from "../http";
import { renderDocument, WECHAT_GREEN } from "./layout";

const CSS = `
body{background:#f2f2f2}
.wrap{max-width:760px;margin:0 auto;padding:28px 20px 48px}
h1{font-size:22px;margin:0 0 4px;display:flex;align-items:center;gap:10px}
.panel p{font-size:14px}
tr:last-child td{border-bottom:0}
.sub{color:#7f7f7f;margin:0 0 22px;font-size:14px}
.panel{background:#fff;border-radius:10px;padding:6px 18px;margin-bottom:18px}
.panel h2{font-size:15px;margin:14px 0 6px}
.row{display:flex;justify-content:space-between;align-items:center;gap:12px;padding:12px 0;border-bottom:1px solid #f0f0f0}
.row:last-child{border-bottom:0}
.row .who{font-weight:600}
.row .meta{color:#888;font-size:12px;word-break:break-all}
.pill{display:inline-block;font-size:12px;padding:1px 8px;border-radius:10px;background:#eef9f2;color:${WECHAT_GREEN};margin-left:6px}
.go{flex:0 0 auto;background:${WECHAT_GREEN};color:#fff;border-radius:6px;padding:6px 14px;font-size:14px}
.go:hover{text-decoration:none;background:#06ad56}
.empty{color:#888;padding:18px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
td{padding:6px 8px 6px 0;border-bottom:1px solid #f0f0f0;vertical-align:top}
td:first-child{white-space:nowrap}
pre{background:#f7f7f7;border-radius:6px;padding:10px 12px;overflow:auto;font-size:12px}
`;

export type PendingQr = {
  uuid: string;
  appName: string;
  status: string;
  state: string;
  createdAt: number;
  expiresAt: number;
};

export type LiveOaQr = {
  ticket: string;
  appName: string;
  actionName: string;
  scene: string;
  /** Undefined for permanent codes. */
  expiresAt?: number;
};

/**
 * /phone: pending QR logins and live parametric QR codes of the Official Account, newest first, each linking
 * to its phone page; refreshes itself.
 */
/** A 小程序码 the emulator issued, linking to the phone-side mini-program page it encodes. */
export type IssuedMpCode = { appName: string; scene: string; createdAt: number; url: string };

export function renderPhoneListPage(
  pending: readonly PendingQr[],
  now: number,
  oaCodes: readonly LiveOaQr[] = [],
  mpCodes: readonly IssuedMpCode[] = [],
): string {
  const rows = pending
    .map((qr) => {
      const secondsLeft = Math.max(0, Math.round((qr.expiresAt - now) / 1000));
      const state = qr.state.length > 24 ? `${qr.state.slice(0, 24)}…` : qr.state;
      return `<div class="row">
  <div><div class="who">${escapeHtml(qr.appName)}<span class="pill">${escapeHtml(qr.status)}</span></div>
  <div class="meta">uuid ${escapeHtml(qr.uuid)} · state ${escapeHtml(state || "—")} · ${secondsLeft}s left</div></div>
  <a class="go" href="/connect/confirm?uuid=${encodeURIComponent(qr.uuid)}">打开 / Open</a>
</div>`;
    })
    .join("\n");
  const oaRows = oaCodes
    .map((qr) => {
      const left = qr.expiresAt === undefined ? "permanent" : `${Math.max(0, Math.round((qr.expiresAt - now) / 1000))}s left`;
      return `<div class="row">
  <div><div class="who">${escapeHtml(qr.appName)}<span class="pill">${escapeHtml(qr.actionName)}</span></div>
  <div class="meta">scene ${escapeHtml(qr.scene)} · ${left}</div></div>
  <a class="go" href="/oa/scan?ticket=${encodeURIComponent(qr.ticket)}">扫码 / Scan</a>
</div>`;
    })
    .join("\n");
  const mpRows = mpCodes
    .map(
      (code) => `<div class="row">
  <div><div class="who">${escapeHtml(code.appName)}<span class="pill">小程序码</span></div>
  <div class="meta">scene ${escapeHtml(code.scene)} · ${escapeHtml(new Date(code.createdAt).toISOString())}</div></div>
  <a class="go" href="${escapeHtml(code.url)}">扫码 / Scan</a>
</div>`,
    )
    .join("\n");
  const mpPanel = mpRows ? `<h1>小程序码 · Mini-program codes</h1>\n<div class="panel">${mpRows}</div>` : "";
  const oaPanel = oaRows ? `<h1>公众号带参二维码 · Official Account QR codes</h1>\n<div class="panel">${oaRows}</div>` : "";
  const body = `<div class="wrap">
<h1>待确认的扫码登录 · Pending QR logins</h1>
<p class="sub">点击一项即可代替手机扫码。Click one to act as the phone. This list refreshes every 3 s.</p>
<div class="panel">${rows || '<p class="empty">暂无 · Nothing pending. Open a login page first.</p>'}</div>
${oaPanel}
${mpPanel}
<p class="sub"><a href="/">← WeChat Emulator</a></p>
</div>`;
  return renderDocument({
    lang: "cn",
    title: "Pending QR logins · WeChat Emulator",
    body,
    css: CSS,
    head: `<meta http-equiv="refresh" content="3">`,
    mobile: true,
  });
}

/** The index page: what this server is and how to drive it. */
export function renderIndexPage(options: {
  publicUrl: string;
  phoneUrl: string;
  apps: readonly { appid: string; name: string; type: string }[];
  users: readonly { id: string; label: string }[];
  /** One line describing where pushes go and how. */
  oaPush: string;
}): string {
  const apps = options.apps
    .map((app) => `<tr><td><code>${escapeHtml(app.appid)}</code></td><td>${escapeHtml(app.name)}</td><td>${escapeHtml(app.type)}</td></tr>`)
    .join("");
  const users = options.users.map((user) => `<tr><td><code>${escapeHtml(user.id)}</code></td><td>${escapeHtml(user.label)}</td></tr>`).join("");
  const control = [
    ["GET", "/_emulator/health"],
    ["GET", "/_emulator/users"],
    ["GET", "/_emulator/apps"],
    ["GET", "/_emulator/qr?state=&appid="],
    ["GET", "/_emulator/qr/:uuid"],
    ["POST", "/_emulator/qr/:uuid/scan {user}"],
    ["POST", "/_emulator/qr/:uuid/confirm {user}"],
    ["POST", "/_emulator/qr/:uuid/cancel"],
    ["POST", "/_emulator/qr/:uuid/expire"],
    ["GET/POST/DELETE", "/_emulator/faults"],
    ["GET/POST", "/_emulator/settings"],
    ["GET/POST", "/_emulator/clock {advanceSeconds}"],
    ["POST", "/_emulator/reset"],
    ["GET", "/_emulator/stats"],
    ["GET", "/_emulator/oa/qrcodes"],
    ["GET/POST", "/_emulator/oa/followers {user, following}"],
    ["POST", "/_emulator/oa/scan {ticket|url|scene, user, as}"],
    ["POST", "/_emulator/oa/push {user, event|xml, badSignature?}"],
    ["POST", "/_emulator/oa/replay-last"],
    ["POST", "/_emulator/oa/verify-url"],
    ["GET", "/_emulator/as?user=&redirect=&snapshot="],
  ]
    .map(([method, path]) => `<tr><td>${escapeHtml(method ?? "")}</td><td><code>${escapeHtml(path ?? "")}</code></td></tr>`)
    .join("");
  const body = `<div class="wrap">
<h1><span class="emu-badge"></span> WeChat Emulator</h1>
<p class="sub">A fake of open.weixin.qq.com and api.weixin.qq.com for local development and tests. Public URL <code>${escapeHtml(options.publicUrl)}</code>, phone URL <code>${escapeHtml(options.phoneUrl)}</code>.</p>
<div class="panel"><h2>Act as the phone</h2><p><a href="/phone">/phone</a> lists pending QR logins and the Official Account's QR codes; the QR codes encode <code>/connect/confirm?uuid=…</code> and <code>/oa/scan?ticket=…</code>.</p></div>
<div class="panel"><h2>Apps (Open Platform account “demo”)</h2><table>${apps}</table></div>
<div class="panel"><h2>Virtual users</h2><table>${users}</table></div>
<div class="panel"><h2>Control API (JSON, CORS open)</h2><table>${control}</table>
<pre>curl -X POST ${escapeHtml(options.publicUrl)}/_emulator/qr/UUID/confirm -H 'content-type: application/json' -d '{"user":"lin"}'</pre></div>
<div class="panel"><h2>WeChat endpoints</h2><table>
<tr><td>GET</td><td><code>/connect/qrconnect</code></td></tr>
<tr><td>GET</td><td><code>/connect/zh_CN/htmledition/js/wxLogin.js</code></td></tr>
<tr><td>GET/POST</td><td><code>/sns/oauth2/access_token</code></td></tr>
<tr><td>GET</td><td><code>/sns/oauth2/refresh_token</code>, <code>/sns/auth</code>, <code>/sns/userinfo</code></td></tr>
<tr><td>GET</td><td><code>/connect/oauth2/authorize</code> (Official Account, inside WeChat)</td></tr>
<tr><td>GET</td><td><code>/cgi-bin/token</code>, <code>/cgi-bin/user/info</code>, <code>/cgi-bin/showqrcode</code></td></tr>
<tr><td>POST</td><td><code>/cgi-bin/stable_token</code>, <code>/cgi-bin/qrcode/create</code></td></tr>
</table></div>
<div class="panel"><h2>Official Account pushes</h2><p>${escapeHtml(options.oaPush)}</p></div>
</div>`;
  return renderDocument({ lang: "en", title: "WeChat Emulator", body, css: CSS });
}
