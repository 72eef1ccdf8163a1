import { describe, expect, it } from "vitest";
import { pickMessages, translator } from "@/lib/i18n/messages";
import { APP_ERROR_CODES, describeLoginError, isLoginErrorCode, KNOWN_WECHAT_ERRCODES, loginErrorForErrcode } from "@/lib/errors";

// Every errcode the token and userinfo calls can return (docs/wechat-protocol.md §A5).
const PROTOCOL_ERRCODES = [
  -1, 40001, 40002, 40003, 40013, 40014, 40029, 40030, 40125, 40163, 40164, 41001, 41002, 41003, 41004, 41008, 41009, 42001, 42002, 42003, 42007, 45009, 45011,
  48001, 50001, 50002,
];

// Every errcode the four mini-program endpoints can return (docs/wechat-protocol.md §H2, §H3, §H4, §H7).
const MINI_PROGRAM_ERRCODES = [
  -1, 40001, 40002, 40013, 40029, 40097, 40125, 40129, 40163, 40165, 40169, 40212, 40226, 40243, 41001, 41002, 41030, 42001, 44002, 44990, 45009, 45011, 45029,
  45063, 47001, 48001, 85079, 85400, 85401,
];

describe("error catalogue", () => {
  it("has its own entry for every errcode of the protocol table", () => {
    for (const errcode of PROTOCOL_ERRCODES) expect(loginErrorForErrcode(errcode)).toBe(String(errcode));
  });

  it("has its own entry for every errcode of the mini-program endpoints", () => {
    for (const errcode of MINI_PROGRAM_ERRCODES) expect(loginErrorForErrcode(errcode)).toBe(String(errcode));
  });

  it("maps an unknown errcode to the generic entry", () => {
    expect(loginErrorForErrcode(99999)).toBe("unknown_errcode");
  });

  it("gives every code a Chinese and an English message and a next step", () => {
    const zh = translator("zh-CN");
    const en = translator("en");
    for (const code of [...KNOWN_WECHAT_ERRCODES, ...APP_ERROR_CODES]) {
      const entry = describeLoginError(code);
      expect(zh(entry.message)).toMatch(/[\u4e00-\u9fff]/);
      // English text (it may quote a Chinese button label, as the snapshot message does).
      expect(en(entry.message)).toMatch(/^[A-Z][\x20-\x7e]{20,}/);
      expect(["scan_again", "retry_later", "start_again", "contact_site"]).toContain(entry.next);
    }
  });

  it("has a message for every code and no message without a code", () => {
    const messageKeys = Object.keys(pickMessages("zh-CN", ["error."]));
    expect(messageKeys.sort()).toEqual([...KNOWN_WECHAT_ERRCODES, ...APP_ERROR_CODES].map((code) => describeLoginError(code).message).sort());
  });

  it("sends configuration errors to the site and user-side errors back to the scanner", () => {
    expect(describeLoginError("40125").next).toBe("contact_site");
    expect(describeLoginError("40013").next).toBe("contact_site");
    expect(describeLoginError("40029").next).toBe("scan_again");
    expect(describeLoginError("40163").next).toBe("scan_again");
    expect(describeLoginError("timeout").next).toBe("retry_later");
  });

  it("does not accept arbitrary strings as codes", () => {
    expect(isLoginErrorCode("constructor")).toBe(false);
    expect(isLoginErrorCode("<script>")).toBe(false);
    expect(isLoginErrorCode("40029")).toBe(true);
  });
});
