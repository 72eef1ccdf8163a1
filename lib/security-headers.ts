/**
 * The response headers that keep our pages out of other sites' frames and limit what a page may
 * load. Computed from the environment when the server builds (next.config.ts `headers()`), so a
 * change of AUTH_URL or of the WeChat endpoints needs a rebuild, as other build settings do.
 *
 * Scripts allow 'unsafe-inline' because the App Router inlines its bootstrap scripts; a nonce
 * would force every page to render per request. The real WeChat needs only three foreign
 * origins: wxLogin.js (res.wx.qq.com), its iframe (open.weixin.qq.com) and avatars (qlogo.cn).
 */
import type { Env } from "./env";

type Header = { key: string; value: string };

/** WeChat's avatar hosts (`headimgurl`). */
const AVATAR_ORIGINS = ["https://thirdwx.qlogo.cn", "https://wx.qlogo.cn"];

function originOf(url: string | undefined): string | undefined {
  return url ? new URL(url).origin : undefined;
}

function contentSecurityPolicy(env: Env, frameAncestors: string): string {
  const open = originOf(env.wechat.openBaseUrl);
  const wxLoginJs = originOf(env.wechat.wxLoginJsUrl);
  const api = env.wechat.usesEmulator ? originOf(env.wechat.apiBaseUrl) : undefined;
  const isDevServer = env.nodeEnv === "development";
  const directives: Record<string, (string | undefined)[]> = {
    "default-src": ["'self'"],
    // React's dev server evaluates code; a production build never does.
    "script-src": ["'self'", "'unsafe-inline'", wxLoginJs, isDevServer ? "'unsafe-eval'" : undefined],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", ...AVATAR_ORIGINS, open, api],
    // The QR iframe itself navigates to our callback when self_redirect=true: frame-src governs that too.
    "frame-src": [open, "'self'"],
    "connect-src": ["'self'", isDevServer ? "ws:" : undefined],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    // A form that posts to us may be answered with a redirect to WeChat's authorize page.
    "form-action": ["'self'", open],
    "frame-ancestors": [frameAncestors],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${[...new Set(sources.filter(Boolean))].join(" ")}`)
    .join("; ");
}

/**
 * Header rules for next.config.ts.
 * Only the OAuth callback may be framed, and only by WeChat's QR iframe inside our own login
 * page (`self_redirect=true` loads it there).
 */
export function securityHeaderRules(env: Env): { source: string; headers: Header[] }[] {
  const open = originOf(env.wechat.openBaseUrl) ?? "";
  const common: Header[] = [
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  ];
  if (env.authUrl?.startsWith("https://")) common.push({ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" });
  return [
    { source: "/:path*", headers: common },
    // Next sends every matching rule's headers, so a second CSP would be enforced beside the
    // first rather than replace it: the callback is kept out of the page-wide rule. X-Frame-Options
    // has no allow-list, so the callback goes without it; its CSP speaks for it.
    {
      source: "/:path((?!api/wechat/callback$).*)",
      headers: [
        { key: "Content-Security-Policy", value: contentSecurityPolicy(env, "'none'") },
        { key: "X-Frame-Options", value: "DENY" },
      ],
    },
    { source: "/api/wechat/callback", headers: [{ key: "Content-Security-Policy", value: contentSecurityPolicy(env, `'self' ${open}`) }] },
  ];
}
