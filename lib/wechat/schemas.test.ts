/** WeChat's replies are parsed before the app sees them: ids have WeChat's shape, avatars are web URLs. */
import { describe, expect, it } from "vitest";
import { snsTokenSchema, snsUserinfoSchema, wechatErrorSchema } from "./schemas";

const token = { access_token: "92_token", expires_in: 7200, refresh_token: "92_refresh", openid: "oW5Ux6ceqP-b0C-72qHEWZYk8Cr8", scope: "snsapi_login" };

describe("WeChat reply shapes", () => {
  it("takes a token answer with or without unionid, and refuses ids of another shape", () => {
    expect(snsTokenSchema.parse(token).unionid).toBeUndefined();
    expect(snsTokenSchema.parse({ ...token, unionid: "oUnion0000000000000000000001", is_snapshotuser: 1 })).toMatchObject({
      unionid: "oUnion0000000000000000000001",
      is_snapshotuser: 1,
    });
    for (const openid of ["", "short", "o<script>alert(1)</script>", "o".repeat(65), "undefined "]) {
      expect(snsTokenSchema.safeParse({ ...token, openid }).success, openid).toBe(false);
    }
    expect(snsTokenSchema.safeParse({ ...token, unionid: "" }).success).toBe(false);
    expect(snsTokenSchema.safeParse({ ...token, expires_in: -1 }).success).toBe(false);
  });

  it("keeps only an http(s) avatar and defaults what WeChat leaves out", () => {
    const profile = { openid: token.openid, nickname: "林晓", headimgurl: "https://thirdwx.qlogo.cn/mmopen/x/132" };
    expect(snsUserinfoSchema.parse(profile).headimgurl).toBe(profile.headimgurl);
    expect(snsUserinfoSchema.parse({ ...profile, headimgurl: "javascript:alert(1)" }).headimgurl).toBe("");
    expect(snsUserinfoSchema.parse({ ...profile, headimgurl: "data:image/png;base64,AAAA" }).headimgurl).toBe("");
    expect(snsUserinfoSchema.parse({ openid: token.openid })).toMatchObject({ nickname: "", headimgurl: "" });
  });

  it("reads an error body, errmsg or not", () => {
    expect(wechatErrorSchema.parse({ errcode: 40029 })).toEqual({ errcode: 40029, errmsg: "" });
    expect(wechatErrorSchema.safeParse({ errcode: "40029" }).success).toBe(false);
  });
});
