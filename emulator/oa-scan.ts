import { findUser, OA_APP, openidFor } from "./config";
import type { EmulatorContext } from "./context";
import { HttpError } from "./http";
import { getSceneValue, isQrExpired } from "./oa-state";
import type { Follower, OaQrCode } from "./oa-state";
import { buildEventMessage, pushToDeveloper } from "./push";
import type { DeliveryReport } from "./push";

/** `new`: the user follows the account by scanning (subscribe); `existing`: a follower scans (SCAN). */
export type ScanAs = "new" | "existing";

export type QrReference = { ticket?: string; url?: string; scene?: string };

/** Finds a parametric QR code by ticket, by its `http://weixin.qq.com/q/…` url, or by scene (newest live one). */
export function findOaQr(ctx: EmulatorContext, reference: QrReference): OaQrCode | undefined {
  const { oa } = ctx.state;
  if (reference.ticket !== undefined) return oa.findQrByTicket(reference.ticket);
  if (reference.url !== undefined) return oa.findQrByUrl(reference.url);
  if (reference.scene !== undefined) return oa.findQrByScene(OA_APP.appid, reference.scene, ctx.state.now());
  return undefined;
}

/**
 * What happens when a WeChat user scans the account's parametric QR code: the user (re)follows and WeChat
 * pushes `subscribe` with EventKey `qrscene_<scene>`, or, for a follower, `SCAN` with the bare scene; both
 * carry the Ticket. The follow is recorded before the push, whatever the developer server answers.
 * @see https://developers.weixin.qq.com/doc/service/Account_Management/Generating_a_Parametric_QR_Code.html
 */
export async function scanOaQr(
  ctx: EmulatorContext,
  input: { qr: OaQrCode; userId: string; as: ScanAs; badSignature?: boolean },
): Promise<DeliveryReport & { event: "subscribe" | "SCAN"; openid: string }> {
  const { qr, userId } = input;
  if (!findUser(userId)) throw new HttpError(400, `unknown user: ${userId}`);
  const now = ctx.state.now();
  if (isQrExpired(qr, now)) throw new HttpError(409, "QR code expired");

  const { oa } = ctx.state;
  const scene = getSceneValue(qr);
  const qrFollower: Follower = {
    userId,
    subscribeTime: now,
    subscribeScene: "ADD_SCENE_QR_CODE",
    qrScene: qr.sceneId ?? 0,
    qrSceneStr: qr.sceneStr ?? "",
  };
  if (input.as === "new") {
    oa.follow(qr.appid, qrFollower);
  } else if (!oa.getFollower(qr.appid, userId)) {
    oa.follow(qr.appid, { userId, subscribeTime: now, subscribeScene: "ADD_SCENE_OTHERS", qrScene: 0, qrSceneStr: "" });
  }

  const event = input.as === "new" ? "subscribe" : "SCAN";
  const openid = openidFor(qr.appid, userId);
  const message = buildEventMessage({
    openid,
    createTime: Math.floor(now / 1000),
    fields: { Event: event, EventKey: input.as === "new" ? `qrscene_${scene}` : scene, Ticket: qr.ticket },
  });
  const report = await pushToDeveloper(ctx, { openid, message, ...(input.badSignature ? { badSignature: true } : {}) });
  return { ...report, event, openid };
}
