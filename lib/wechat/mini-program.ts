/**
 * Mini Program (小程序) server APIs for signing in by scanning a 小程序码: the code image, the
 * `wx.login` code exchange, the phone number and URL Links for the same phone. All but
 * jscode2session use the mini program's own app access token (lib/wechat/app-token.ts), which is
 * isolated from the Official Account's.
 *
 * @see docs/wechat-protocol.md §H0, §H1
 */
import "server-only";
import { z } from "zod";
import { callWechatApi, callWechatApiForBytes, parseWechatReply, WechatTransportError } from "./api-client";
import { callWithAppToken, withAppToken } from "./app-token";

export type MiniProgramCredentials = { appId: string; secret: string };
export type MiniProgramCode = { contentType: "image/png" | "image/jpeg"; bytes: Buffer };

const wechatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/);

/** jscode2session: no errcode on success (older docs showed `errcode: 0`, accepted too). */
const sessionSchema = z.object({ openid: wechatIdSchema, unionid: wechatIdSchema.optional(), session_key: z.string().optional() });

/** `countryCode` is a string in the doc table and a number in its example (§H4.2): accept both. */
const phoneSchema = z.object({
  phone_info: z.object({
    phoneNumber: z.string().min(1).max(32),
    purePhoneNumber: z.string().min(1).max(32),
    countryCode: z.union([z.string().min(1).max(8), z.number().int().nonnegative()]).transform(String),
  }),
});

const urlLinkSchema = z.object({ url_link: z.url({ protocol: /^https?$/ }) });

/** Any JSON object; a JSON body from the image endpoint without an errcode is still not an image. */
const anyJsonSchema = z.object({}).loose();

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

function sniffImage(bytes: Buffer): MiniProgramCode["contentType"] | undefined {
  if (bytes.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) return "image/png";
  if (bytes.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC)) return "image/jpeg";
  return undefined;
}

/**
 * getwxacodeunlimit; tells an image from a JSON error by the content type AND the magic bytes (§H2.2);
 * the returned contentType is the sniffed one (WeChat labels PNG bytes `image/jpeg`). Throws
 * WechatApiError on an errcode, WechatTransportError("malformed") when neither.
 * @see docs/wechat-protocol.md §H2
 */
export async function createMiniProgramCode(
  mp: MiniProgramCredentials,
  options: { scene: string; page: string; checkPath: boolean; envVersion: "release" | "trial" | "develop"; width?: number },
): Promise<MiniProgramCode> {
  const path = "/wxa/getwxacodeunlimit";
  const body = {
    scene: options.scene,
    page: options.page,
    check_path: options.checkPath,
    env_version: options.envVersion,
    ...(options.width === undefined ? {} : { width: options.width }),
  };
  return withAppToken(mp, async (accessToken) => {
    const reply = await callWechatApiForBytes(path, { access_token: accessToken }, { json: body });
    const isJsonLabel = /^(application\/json|text\/plain)\b/i.test(reply.contentType);
    const sniffed = sniffImage(reply.bytes);
    if (sniffed && !isJsonLabel) return { contentType: sniffed, bytes: reply.bytes };
    if (!sniffed) {
      // An errcode throws WechatApiError here; a JSON body without one is still not an image.
      parseWechatReply(path, reply.bytes.toString("utf8"), anyJsonSchema);
    }
    throw new WechatTransportError("malformed", `not an image (${reply.contentType || "no content type"}, ${reply.bytes.length} bytes)`);
  });
}

/**
 * jscode2session (text/plain JSON). The session_key is dropped here and never returned: sign-in
 * needs only the ids, and the key would decrypt the user's data if it leaked. `unionid` only when
 * the mini program is bound to an Open Platform account (§H5).
 * @see docs/wechat-protocol.md §H3
 */
export async function exchangeLoginCode(mp: MiniProgramCredentials, jsCode: string): Promise<{ openid: string; unionid?: string }> {
  const session = await callWechatApi(
    "/sns/jscode2session",
    { appid: mp.appId, secret: mp.secret, js_code: jsCode, grant_type: "authorization_code" },
    sessionSchema,
  );
  return session.unionid === undefined ? { openid: session.openid } : { openid: session.openid, unionid: session.unionid };
}

/**
 * getuserphonenumber with the phone button's code; `openid` makes WeChat check the code belongs
 * to that user. `errcode: 0` comes with success; a missing `phone_info` is a malformed reply.
 * @see docs/wechat-protocol.md §H4.2
 */
export async function getPhoneNumber(
  mp: MiniProgramCredentials,
  phoneCode: string,
  openid?: string,
): Promise<{ phoneNumber: string; purePhoneNumber: string; countryCode: string }> {
  const reply = await callWithAppToken(mp, "/wxa/business/getuserphonenumber", {}, phoneSchema, {
    code: phoneCode,
    ...(openid === undefined ? {} : { openid }),
  });
  const { phoneNumber, purePhoneNumber, countryCode } = reply.phone_info;
  return { phoneNumber, purePhoneNumber, countryCode };
}

/**
 * generate_urllink: an https link that opens the mini program at `path` with `query`, expiring after
 * `expireIntervalDays` (at most 30). Personal-subject mini programs get 40002, unreleased ones 85079.
 * @see docs/wechat-protocol.md §H7
 */
export async function createUrlLink(
  mp: MiniProgramCredentials,
  options: { path: string; query: string; expireIntervalDays: number; envVersion: "release" | "trial" | "develop" },
): Promise<string> {
  const reply = await callWithAppToken(mp, "/wxa/generate_urllink", {}, urlLinkSchema, {
    path: options.path,
    query: options.query,
    expire_type: 1,
    expire_interval: options.expireIntervalDays,
    env_version: options.envVersion,
  });
  return reply.url_link;
}
