/**
 * The Official Account's message push (服务器配置 URL). GET answers WeChat's URL check with
 * `echostr`; POST takes events. Every request is verified (signature, or msg_signature and
 * AES in compatible/safe mode), stale timestamps and oversized or hostile XML are refused, and
 * the answer comes well inside WeChat's 5 seconds.
 */
import type { NextRequest } from "next/server";
import { recordWechatEvent } from "@/lib/db/wechat-events";
import { getEnv } from "@/lib/env";
import { logUnexpected, publicOrigin } from "@/lib/http";
import { handlePush, isFirstDelivery } from "@/lib/login/push-handler";
import { logger } from "@/lib/logger";
import { countPush } from "@/lib/telemetry";
import { buildReply, openPushRequest, type PushConfig } from "@/lib/wechat/push/verify-request";
import { DEFAULT_MAX_XML_BYTES } from "@/lib/wechat/push/xml";

export const dynamic = "force-dynamic";

const STATUS_OF_REJECTION = {
  bad_signature: 403,
  stale: 403,
  decrypt_failed: 403,
  encryption_required: 403,
  plaintext_mismatch: 403,
  wrong_account: 403,
  malformed: 400,
  too_large: 413,
  method: 405,
} as const;

/** What the push counter calls each refusal (a few names for operators, not the code's dozen). */
const VERIFICATION_OF_REJECTION = {
  bad_signature: "signature",
  encryption_required: "signature",
  stale: "stale",
  decrypt_failed: "decrypt",
  plaintext_mismatch: "decrypt",
  wrong_account: "wrong_account",
  malformed: "malformed",
  too_large: "malformed",
  method: "malformed",
} as const;

/** A refused push: counted, and kept for the console's WeChat health page (never throws). */
async function refused(reason: keyof typeof VERIFICATION_OF_REJECTION | "replayed_request"): Promise<void> {
  countPush("none", reason === "replayed_request" ? "replay" : VERIFICATION_OF_REJECTION[reason]);
  await recordWechatEvent({ kind: "push_rejected", reason });
}

function plain(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

function pushConfig(): PushConfig | undefined {
  const account = getEnv().wechat.officialAccount;
  return account ? { token: account.token, encodingAesKey: account.encodingAesKey, appId: account.appId, originalId: account.originalId } : undefined;
}

/** Reads at most `limit` bytes; undefined when the body is larger. */
async function readLimited(request: Request, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(request: NextRequest): Promise<Response> {
  const config = pushConfig();
  if (!config) return plain("not found", 404);
  const body = request.method === "POST" ? await readLimited(request, DEFAULT_MAX_XML_BYTES) : "";
  if (body === undefined) {
    logger.warn("wechat.push.rejected", { reason: "too_large" });
    await refused("too_large");
    return plain("payload too large", 413);
  }
  const opened = openPushRequest({ method: request.method, query: request.nextUrl.searchParams, body, config });
  if (opened.kind === "rejected") {
    logger.warn("wechat.push.rejected", { reason: opened.reason, detail: opened.detail });
    if (opened.reason !== "method") await refused(opened.reason);
    return plain(opened.reason === "method" ? "method not allowed" : "rejected", STATUS_OF_REJECTION[opened.reason]);
  }
  try {
    // WeChat signs each request, retries and URL checks included, with a fresh timestamp and
    // nonce; in plaintext mode the signature does not cover the body, so a pair seen once
    // (even on an echostr GET) must never sign a second request.
    if (!(await isFirstDelivery(`request:${opened.timestamp}:${opened.nonce}`))) {
      logger.warn("wechat.push.rejected", { reason: "replayed_request" });
      await refused("replayed_request");
      return plain("rejected", 403);
    }
    countPush(opened.kind === "echo" ? "url_check" : (opened.fields.MsgType === "event" ? opened.fields.Event : opened.fields.MsgType) || "none", "ok");
    if (opened.kind === "echo") return plain(opened.echostr);
    const reply = await handlePush(opened.fields, publicOrigin(request));
    const answer = buildReply({ request: opened, reply, config });
    return new Response(answer, {
      headers: { "content-type": answer.startsWith("<xml>") ? "application/xml; charset=utf-8" : "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  } catch (error) {
    // WeChat retries on no answer; acknowledging keeps the user from "该公众号暂时无法提供服务".
    logUnexpected(request, error);
    return plain("success");
  }
}

export const GET = handle;
export const POST = handle;
