import { escapeHtml } from "../http";

export type Lang = "cn" | "en";

/** Picks the page language the way qrconnect does: `lang=en` for English, anything else Chinese. */
export function parseLang(value: string | null | undefined): Lang {
  return value === "en" ? "en" : "cn";
}

export const WECHAT_GREEN = "#07C160";

const BASE_CSS = `
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Helvetica Neue",Arial,sans-serif;color:#191919;-webkit-font-smoothing:antialiased;line-height:1.5}
a{color:#576B95;text-decoration:none}
a:hover{text-decoration:underline}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#f2f2f2;border-radius:4px;padding:1px 5px}
.emu-badge{display:inline-flex;align-items:center;gap:6px;font-size:12px;color:#888}
.emu-badge::before{content:"";width:8px;height:8px;border-radius:50%;background:${WECHAT_GREEN}}
`;

/** Wraps a page body in the emulator's HTML shell. */
export function renderDocument(options: {
  lang: Lang;
  title: string;
  body: string;
  css?: string;
  head?: string;
  bodyClass?: string;
  mobile?: boolean;
}): string {
  const viewport = options.mobile
    ? `<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">`
    : `<meta name="viewport" content="width=device-width, initial-scale=1">`;
  return `<!DOCTYPE html>
<html lang="${options.lang === "en" ? "en" : "zh-CN"}">
<head>
<meta charset="utf-8">
${viewport}
<title>${escapeHtml(options.title)}</title>
<style>${BASE_CSS}${options.css ?? ""}</style>
${options.head ?? ""}
</head>
<body class="${escapeHtml(options.bodyClass ?? "")}">
${options.body}
</body>
</html>
`;
}
