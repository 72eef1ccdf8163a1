import { OA_APP, PUSH_TRIES } from "./config";
import type { OaPushMode } from "./config";
import type { EmulatorContext } from "./context";
import { HttpError } from "./http";
import { computeSignature, createNonce, decodeEncodingAesKey, decryptMessage, encryptMessage } from "./wx-crypto";
import { appendXmlField, buildXml, isXmlDocument, readXmlField } from "./wx-xml";
import type { XmlFields } from "./wx-xml";

/** What WeChat shows in the chat when the developer server failed or timed out. */
export const OA_UNAVAILABLE_MESSAGE = "该公众号暂时无法提供服务，请稍后再试";

/** A text reply cut into plain text and http(s) links, in order, for the phone page's chat bubble. */
export type ReplyPart = { text: string; href?: string };

export type PushReply = {
  /** The answer body exactly as received. */
  raw: string;
  /** The reply message XML (decrypted when it came encrypted). */
  xml?: string;
  msgType?: string;
  /** Content of a text reply. */
  content?: string;
  /** http(s) hrefs of the `<a>` anchors in a text reply. */
  links: string[];
  parts: ReplyPart[];
};

export type DeliveryReport = {
  /** WeChat accepted the answer: `success`, an empty body, or a valid passive reply. */
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last answer; null when no attempt got one. */
  status: number | null;
  /** The last answer; null when no attempt got one. */
  reply: PushReply | null;
  /** Why WeChat counts the push as failed (absent when delivered). */
  error?: string;
  /** What the user sees in the chat when the push failed. */
  userMessage?: string;
  mode: OaPushMode;
  /** The plaintext message; retries resend it unchanged, CreateTime included. */
  message: string;
};

type PostOutcome = { kind: "answer"; status: number; body: string } | { kind: "no-answer"; error: string };

type Verdict = { delivered: boolean; reply: PushReply; error?: string };

const ANCHOR = /<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi;

/** Builds an event push as WeChat sends it: To/From, CreateTime in unix seconds, MsgType event, then `fields`. */
export function buildEventMessage(input: { openid: string; createTime: number; fields: XmlFields }): string {
  return buildXml({
    ToUserName: OA_APP.originalId ?? "",
    FromUserName: input.openid,
    CreateTime: input.createTime,
    MsgType: "event",
    ...input.fields,
  });
}

/**
 * Pushes one message to the OA's developer server the way WeChat does: POST `text/xml` with `signature`,
 * `timestamp`, `nonce`, `openid` (plus `encrypt_type=aes` and `msg_signature` outside plaintext mode); waits
 * `pushTimeoutMs` for an answer, else drops the connection and tries again, 3 tries in total. Retries resend
 * the same body with a fresh timestamp, nonce and signatures. `badSignature` signs with a wrong token.
 * @see https://developers.weixin.qq.com/doc/service/en/Message_Management/Passive_user_reply_message.html
 */
export async function pushToDeveloper(ctx: EmulatorContext, options: { openid: string; message: string; badSignature?: boolean }): Promise<DeliveryReport> {
  const { settings, oa } = ctx.state;
  const mode = settings.oaPushMode;
  const aesKey = decodeEncodingAesKey(settings.oaEncodingAesKey);
  const encrypt = mode === "plaintext" ? undefined : encryptMessage({ aesKey, appid: OA_APP.appid, message: options.message });
  const body = buildPushBody(options.message, mode, encrypt);
  const token = options.badSignature ? `${settings.oaPushToken}-forged` : settings.oaPushToken;

  oa.stats.pushes.sent += 1;
  let outcome: PostOutcome = { kind: "no-answer", error: "not sent" };
  let attempts = 0;
  while (attempts < PUSH_TRIES) {
    if (attempts > 0) oa.stats.pushes.retries += 1;
    attempts += 1;
    const url = signPushUrl(settings.oaPushUrl, { token, openid: options.openid, now: ctx.state.now(), encrypt });
    oa.lastPush = { url, body, openid: options.openid, mode };
    outcome = await postOnce(url, body, settings.pushTimeoutMs);
    if (outcome.kind === "answer") break;
  }
  return finishReport(ctx, outcome, { attempts, mode, message: options.message, openid: options.openid });
}

/** Sends the latest push attempt again byte for byte (same query, signatures and body), once: a replay attack. */
export async function replayLastPush(ctx: EmulatorContext): Promise<DeliveryReport> {
  const { oa } = ctx.state;
  const last = oa.lastPush;
  if (!last) throw new HttpError(409, "no push to replay yet");
  oa.stats.pushes.sent += 1;
  const outcome = await postOnce(last.url, last.body, ctx.state.settings.pushTimeoutMs);
  const message = readMessageOf(ctx, last.body);
  return finishReport(ctx, outcome, { attempts: 1, mode: last.mode, message, openid: last.openid });
}

function buildPushBody(message: string, mode: OaPushMode, encrypt: string | undefined): string {
  if (encrypt === undefined) return message;
  if (mode === "compatible") return appendXmlField(message, "Encrypt", encrypt);
  return buildXml({ ToUserName: readXmlField(message, "ToUserName") ?? OA_APP.originalId ?? "", Encrypt: encrypt });
}

function readMessageOf(ctx: EmulatorContext, body: string): string {
  const encrypt = readXmlField(body, "Encrypt");
  if (encrypt === undefined) return body;
  try {
    const aesKey = decodeEncodingAesKey(ctx.state.settings.oaEncodingAesKey);
    return decryptMessage({ aesKey, appid: OA_APP.appid, encrypt }).message;
  } catch {
    return body;
  }
}

function signPushUrl(pushUrl: string, input: { token: string; openid: string; now: number; encrypt: string | undefined }): string {
  const timestamp = String(Math.floor(input.now / 1000));
  const nonce = createNonce();
  const url = new URL(pushUrl);
  url.searchParams.set("signature", computeSignature(input.token, timestamp, nonce));
  url.searchParams.set("timestamp", timestamp);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("openid", input.openid);
  if (input.encrypt !== undefined) {
    url.searchParams.set("encrypt_type", "aes");
    url.searchParams.set("msg_signature", computeSignature(input.token, timestamp, nonce, input.encrypt));
  }
  return url.toString();
}

async function postOnce(url: string, body: string, timeoutMs: number): Promise<PostOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "text/xml" },
      body,
      redirect: "manual",
      signal: controller.signal,
    });
    return { kind: "answer", status: response.status, body: await response.text() };
  } catch (error) {
    if (controller.signal.aborted) return { kind: "no-answer", error: `no answer within ${timeoutMs} ms` };
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { kind: "no-answer", error: `could not reach the push URL: ${cause}` };
  } finally {
    clearTimeout(timer);
  }
}

function finishReport(
  ctx: EmulatorContext,
  outcome: PostOutcome,
  input: { attempts: number; mode: OaPushMode; message: string; openid: string },
): DeliveryReport {
  const base = { attempts: input.attempts, mode: input.mode, message: input.message };
  if (outcome.kind === "no-answer") {
    ctx.state.oa.stats.pushes.failed += 1;
    return { delivered: false, ...base, status: null, reply: null, error: outcome.error, userMessage: OA_UNAVAILABLE_MESSAGE };
  }
  const verdict = judgeAnswer(ctx, outcome, input);
  if (!verdict.delivered) ctx.state.oa.stats.pushes.failed += 1;
  return {
    delivered: verdict.delivered,
    ...base,
    status: outcome.status,
    reply: verdict.reply,
    ...(verdict.error === undefined ? {} : { error: verdict.error, userMessage: OA_UNAVAILABLE_MESSAGE }),
  };
}

/**
 * WeChat's reading of an answer: `success` or an empty body acknowledges; an XML passive reply (encrypted with
 * a valid MsgSignature in safe mode, either form in compatible mode) is shown to the user; anything else
 * (non-2xx, JSON, garbage, a reply addressed to someone else) fails.
 */
function judgeAnswer(ctx: EmulatorContext, answer: { status: number; body: string }, input: { mode: OaPushMode; openid: string }): Verdict {
  const reply: PushReply = { raw: answer.body, links: [], parts: [] };
  const fail = (error: string): Verdict => ({ delivered: false, reply, error });
  if (answer.status < 200 || answer.status > 299) return fail(`HTTP ${answer.status}`);
  const trimmed = answer.body.trim();
  if (trimmed === "" || trimmed === "success") return { delivered: true, reply };
  if (!isXmlDocument(trimmed)) return fail("the answer is neither success, an empty body nor XML");

  let xml = trimmed;
  const encrypt = readXmlField(trimmed, "Encrypt");
  if (encrypt !== undefined) {
    if (input.mode === "plaintext") return fail("encrypted reply, but the account is in plaintext mode");
    const { oaPushToken, oaEncodingAesKey } = ctx.state.settings;
    const signature = readXmlField(trimmed, "MsgSignature");
    const timestamp = readXmlField(trimmed, "TimeStamp");
    const nonce = readXmlField(trimmed, "Nonce");
    if (!signature || !timestamp || !nonce) return fail("encrypted reply without MsgSignature, TimeStamp or Nonce");
    if (computeSignature(oaPushToken, timestamp, nonce, encrypt) !== signature) return fail("reply MsgSignature does not match");
    try {
      xml = decryptMessage({ aesKey: decodeEncodingAesKey(oaEncodingAesKey), appid: OA_APP.appid, encrypt }).message;
    } catch (error) {
      return fail(`reply does not decrypt: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isXmlDocument(xml)) return fail("decrypted reply is not XML");
  } else if (input.mode === "safe") {
    return fail("plaintext XML reply, but the account is in safe mode");
  }

  reply.xml = xml;
  const msgType = readXmlField(xml, "MsgType");
  if (!msgType) return fail("reply has no MsgType");
  reply.msgType = msgType;
  if (readXmlField(xml, "ToUserName") !== input.openid) return fail("reply ToUserName is not the user's openid");
  if (readXmlField(xml, "FromUserName") !== OA_APP.originalId) return fail("reply FromUserName is not the account's original id");
  if (msgType === "text") {
    const content = readXmlField(xml, "Content") ?? "";
    reply.content = content;
    reply.parts = splitLinks(content);
    reply.links = reply.parts.flatMap((part) => (part.href === undefined ? [] : [part.href]));
  }
  return { delivered: true, reply };
}

/** Text messages may carry `<a href="…">label</a>`; only http(s) anchors become links, the rest stays text. */
export function splitLinks(content: string): ReplyPart[] {
  const parts: ReplyPart[] = [];
  let last = 0;
  const pushText = (text: string): void => {
    if (!text) return;
    const previous = parts.at(-1);
    if (previous && previous.href === undefined) previous.text += text;
    else parts.push({ text });
  };
  for (const match of content.matchAll(ANCHOR)) {
    const href = match[2] ?? "";
    pushText(content.slice(last, match.index));
    if (/^https?:\/\//i.test(href)) parts.push({ text: match[3] ?? href, href });
    else pushText(match[0]);
    last = match.index + match[0].length;
  }
  pushText(content.slice(last));
  return parts;
}

export type UrlCheckReport = {
  /** Whether the developer server answered 200 with exactly the echostr, as WeChat requires to save the settings. */
  ok: boolean;
  url: string;
  status?: number;
  /** What came back, cut to 200 characters. */
  body?: string;
  error?: string;
};

/**
 * The server-URL check WeChat runs when 服务器配置 is saved: GET the push URL with `signature`,
 * `timestamp`, `nonce` and `echostr`, signed with the Token, and require the echostr back verbatim.
 */
export async function verifyPushUrl(ctx: EmulatorContext): Promise<UrlCheckReport> {
  const settings = ctx.state.settings;
  const timestamp = String(Math.floor(ctx.state.now() / 1000));
  const nonce = createNonce();
  // WeChat's echostr is a long decimal.
  const echostr = String(BigInt.asUintN(63, BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex")}`)));
  const url = new URL(settings.oaPushUrl);
  url.searchParams.set("signature", computeSignature(settings.oaPushToken, timestamp, nonce));
  url.searchParams.set("timestamp", timestamp);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("echostr", echostr);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.pushTimeoutMs);
  try {
    const response = await fetch(url, { redirect: "manual", signal: controller.signal });
    const body = await response.text();
    return { ok: response.status === 200 && body === echostr, url: settings.oaPushUrl, status: response.status, body: body.slice(0, 200) };
  } catch (error) {
    const cause = controller.signal.aborted
      ? `no answer within ${settings.pushTimeoutMs} ms`
      : error instanceof Error && error.cause instanceof Error
        ? error.cause.message
        : String(error);
    return { ok: false, url: settings.oaPushUrl, error: cause };
  } finally {
    clearTimeout(timer);
  }
}
