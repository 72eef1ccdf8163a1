/**
 * The one fetch wrapper for api.weixin.qq.com.
 *
 * WeChat answers errors with HTTP 200 and `{errcode, errmsg}`, labels `/sns/*` JSON as
 * `text/plain`, and appends a request id to errmsg (`..., rid: 645ca8fe-448ccd42-1a78a4b0`).
 * So the body is decoded as JSON whatever the Content-Type, errcode is checked before the
 * shape, and the errmsg text is logged but never matched on.
 *
 * @see docs/wechat-protocol.md §0
 */
import "server-only";
import type { z } from "zod";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { AppError, loginErrorForErrcode } from "@/lib/errors";
import { recordWechatEvent } from "@/lib/db/wechat-events";
import { observeWechatCall } from "@/lib/telemetry";
import { wechatErrorSchema } from "./schemas";

/** WeChat answered with a non-zero errcode: an {@link AppError} whose code is the errcode's own (or `unknown_errcode`). */
export class WechatApiError extends AppError {
  override name = "WechatApiError";
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly rid: string | undefined,
  ) {
    super(loginErrorForErrcode(errcode), { detail: { errcode, rid } });
  }
}

export type TransportFailure = "timeout" | "network" | "http_status" | "malformed";

const TRANSPORT_CODES = { timeout: "timeout", network: "upstream_unavailable", http_status: "upstream_unavailable", malformed: "malformed_response" } as const;

/** WeChat could not be reached, did not answer in time, or answered something unreadable. */
export class WechatTransportError extends AppError {
  override name = "WechatTransportError";
  constructor(
    readonly kind: TransportFailure,
    detail: string,
  ) {
    super(TRANSPORT_CODES[kind], { detail: { kind, detail } });
  }
}

const RID_PATTERN = /rid:\s*([0-9a-f-]+)|req_id:\s*([\w-]+)|hint:\s*\[([\w-]+)\]/i;

export function extractRid(errmsg: string): string | undefined {
  const match = RID_PATTERN.exec(errmsg);
  return match?.[1] ?? match?.[2] ?? match?.[3];
}

// Parameters that are secrets or bearer tokens; they never reach a log line.
const SECRET_PARAMS = new Set(["secret", "access_token", "refresh_token", "code"]);

type RawReply = { contentType: string; bytes: Buffer; startedAt: number };

/** The one fetch: GET, or POST with a JSON body; transport failures and non-2xx statuses become {@link WechatTransportError}. */
async function requestWechat(path: string, params: Record<string, string>, json: unknown): Promise<RawReply> {
  const env = getEnv();
  const url = new URL(`${env.wechat.apiBaseUrl}${path}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const startedAt = Date.now();

  let response: Response;
  let bytes: Buffer;
  try {
    const init: RequestInit =
      json === undefined ? { method: "GET" } : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) };
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(env.wechat.httpTimeoutMs), cache: "no-store" });
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    const isTimeout = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
    const failure = new WechatTransportError(isTimeout ? "timeout" : "network", error instanceof Error ? error.message : String(error));
    logger.warn("wechat.api.transport", { path, kind: failure.kind, ms: Date.now() - startedAt, params: redact(params) });
    observeWechatCall({ endpoint: path, errcode: "transport", durationMs: Date.now() - startedAt });
    throw failure;
  }

  if (!response.ok) {
    logger.warn("wechat.api.http_status", { path, status: response.status, ms: Date.now() - startedAt });
    observeWechatCall({ endpoint: path, errcode: "transport", durationMs: Date.now() - startedAt });
    throw new WechatTransportError("http_status", `HTTP ${response.status}`);
  }
  return { contentType: response.headers.get("content-type") ?? "", bytes, startedAt };
}

/**
 * Reads a reply body as WeChat JSON: {@link WechatApiError} for a non-zero errcode, then `schema`.
 * Throws {@link WechatTransportError} (`malformed`) for a body that is not JSON or has another shape.
 */
export function parseWechatReply<Schema extends z.ZodType>(
  path: string,
  text: string,
  schema: Schema,
  startedAt = Date.now(),
  options: { keepsFailure?: boolean } = {},
): z.infer<Schema> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    logger.warn("wechat.api.malformed", { path, bytes: text.length, ms: Date.now() - startedAt });
    observeWechatCall({ endpoint: path, errcode: "transport", durationMs: Date.now() - startedAt });
    throw new WechatTransportError("malformed", "reply is not JSON");
  }

  const asError = wechatErrorSchema.safeParse(body);
  if (asError.success && asError.data.errcode !== 0) {
    const rid = extractRid(asError.data.errmsg);
    logger.warn("wechat.api.errcode", { path, errcode: asError.data.errcode, errmsg: asError.data.errmsg, rid, ms: Date.now() - startedAt });
    observeWechatCall({ endpoint: path, errcode: asError.data.errcode, durationMs: Date.now() - startedAt, rid });
    // Kept for the console's health page, once: unless the caller keeps the failure itself.
    if (!options.keepsFailure) void recordWechatEvent({ kind: "api_error", endpoint: path, errcode: asError.data.errcode, rid });
    throw new WechatApiError(asError.data.errcode, asError.data.errmsg, rid);
  }

  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    logger.warn("wechat.api.unexpected_shape", { path, issues: parsed.error.issues.map((issue) => issue.path.join(".")) });
    observeWechatCall({ endpoint: path, errcode: "transport", durationMs: Date.now() - startedAt });
    throw new WechatTransportError("malformed", "reply has an unexpected shape");
  }
  logger.debug("wechat.api.ok", { path, ms: Date.now() - startedAt });
  observeWechatCall({ endpoint: path, errcode: 0, durationMs: Date.now() - startedAt });
  return parsed.data;
}

/**
 * Calls `path` on the API base URL with query `params` (GET, or POST with a JSON body for the
 * cgi-bin endpoints that want one), and parses the reply with `schema`.
 * Throws {@link WechatApiError} for an errcode and {@link WechatTransportError} otherwise. An errcode
 * is kept as an `api_error` event unless `keepsFailure` says the caller keeps it its own way.
 */
export async function callWechatApi<Schema extends z.ZodType>(
  path: string,
  params: Record<string, string>,
  schema: Schema,
  options: { json?: unknown; keepsFailure?: boolean } = {},
): Promise<z.infer<Schema>> {
  const reply = await requestWechat(path, params, options.json);
  return parseWechatReply(path, reply.bytes.toString("utf8"), schema, reply.startedAt, { keepsFailure: options.keepsFailure });
}

/**
 * Like {@link callWechatApi}, but hands back the raw body and its Content-Type label, for the endpoints
 * that answer an image on success and JSON on failure (§H2). The caller tells them apart and passes a JSON
 * body on to {@link parseWechatReply}.
 */
export async function callWechatApiForBytes(
  path: string,
  params: Record<string, string>,
  options: { json?: unknown } = {},
): Promise<{ contentType: string; bytes: Buffer }> {
  const reply = await requestWechat(path, params, options.json);
  // A JSON body goes on to parseWechatReply, which counts the call; an image is the success.
  if (!/json|text\/plain/i.test(reply.contentType)) observeWechatCall({ endpoint: path, errcode: 0, durationMs: Date.now() - reply.startedAt });
  return { contentType: reply.contentType, bytes: reply.bytes };
}

function redact(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key, SECRET_PARAMS.has(key) ? "[redacted]" : value]));
}
