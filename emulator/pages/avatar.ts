import { createHash } from "node:crypto";
import { escapeHtml } from "../http";

const PALETTE = ["#07C160", "#10AEFF", "#FA9D3B", "#576B95", "#FA5151", "#6467F0", "#1AAD19"];

/**
 * A square avatar with the user's initial. `size` is WeChat's headimgurl size segment; 0 means 640 px.
 * SVG keeps it dependency-free; clients should treat headimgurl as an opaque image URL anyway.
 */
export function renderAvatarSvg(userId: string, nickname: string, size: number): string {
  const pixels = size === 0 ? 640 : size;
  const digest = createHash("sha256").update(userId).digest();
  const color = PALETTE[(digest[0] ?? 0) % PALETTE.length] ?? PALETTE[0];
  const initial = escapeHtml(Array.from(nickname.trim())[0]?.toUpperCase() ?? "?");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${pixels}" height="${pixels}" viewBox="0 0 100 100">
<rect width="100" height="100" fill="${color}"/>
<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="PingFang SC,Microsoft YaHei,Helvetica,Arial,sans-serif" font-size="52" fill="#fff">${initial}</text>
</svg>
`;
}
