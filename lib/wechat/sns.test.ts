/**
 * The user-level OAuth calls against the emulator over real HTTP: a code is spent once, for the
 * app it was issued to, and the token reads that person's profile.
 */
import { describe, expect, it } from "vitest";
import { openidFor, unionidFor, WEB_APP, WEB2_APP } from "@/emulator/config";
import { useTestEmulator } from "@/lib/test/emulator";
import { WechatApiError } from "./api-client";
import { exchangeCode, fetchUserinfo } from "./sns";

const emulator = useTestEmulator({ callbackDomain: "localhost:3994" });
const WEB = { appId: WEB_APP.appid, secret: WEB_APP.secret };

/** A code for `user`, as WeChat hands it to our callback after they confirm the QR. */
async function codeFor(user: string, app = WEB_APP): Promise<string> {
  const query = new URLSearchParams({
    appid: app.appid,
    redirect_uri: "http://localhost:3994/api/wechat/callback",
    response_type: "code",
    scope: "snsapi_login",
    state: "sns",
  });
  return (await emulator.scanWebsiteQr(`${emulator.url}/connect/qrconnect?${query}#wechat_redirect`, user)).code;
}

describe("the code exchange and the profile", () => {
  it("spends a code once, for the person who confirmed", async () => {
    const code = await codeFor("lin");
    const token = await exchangeCode(WEB, code);
    expect(token).toMatchObject({ openid: openidFor(WEB_APP.appid, "lin"), unionid: unionidFor("demo", "lin"), scope: "snsapi_login", expires_in: 7200 });
    const again = exchangeCode(WEB, code);
    await expect(again).rejects.toBeInstanceOf(WechatApiError);
    await expect(again).rejects.toMatchObject({ errcode: 40163, code: "40163" });
  });

  it("refuses a code with another app's credentials, and a wrong secret", async () => {
    await expect(exchangeCode({ appId: WEB2_APP.appid, secret: WEB2_APP.secret }, await codeFor("zhang"))).rejects.toMatchObject({ errcode: 40029 });
    await expect(exchangeCode({ ...WEB, secret: "0".repeat(32) }, await codeFor("zhang"))).rejects.toMatchObject({ errcode: 40125 });
  });

  it("reads the profile behind the token, with no unionid or avatar for those who have none", async () => {
    const lin = await fetchUserinfo(await exchangeCode(WEB, await codeFor("lin")));
    expect(lin).toMatchObject({
      openid: openidFor(WEB_APP.appid, "lin"),
      nickname: "林晓",
      unionid: unionidFor("demo", "lin"),
      headimgurl: expect.stringMatching(/^https?:\/\//),
    });
    const wangToken = await exchangeCode(WEB, await codeFor("wang"));
    expect(wangToken.unionid).toBeUndefined();
    expect((await fetchUserinfo(wangToken)).unionid).toBeUndefined();
    expect((await fetchUserinfo(await exchangeCode(WEB, await codeFor("li")))).headimgurl).toBe("");
  });
});
