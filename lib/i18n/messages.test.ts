import { AREAS } from "./catalogue";
import { describe, expect, it } from "vitest";
import { formatWait } from "./durations";
import { allLocales, inAllLocales, LOCALES, pickMessages, translator } from "./messages";
import { createTranslator } from "./translate";

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!).sort();
}

describe("the message catalogue", () => {
  it("has the same keys in every locale", () => {
    const keys = Object.keys(pickMessages("zh-CN", [""])).sort();
    for (const locale of LOCALES) expect(Object.keys(pickMessages(locale, [""])).sort()).toEqual(keys);
    for (const [name, area] of Object.entries(AREAS)) expect(Object.keys(area.en).sort(), name).toEqual(Object.keys(area.zh).sort());
  });

  it("has the same placeholders per key in every locale, each a plain name", () => {
    const zh = pickMessages("zh-CN", [""]);
    const en = pickMessages("en", [""]);
    for (const [key, text] of Object.entries(zh)) {
      expect(placeholders(en[key as keyof typeof en]), key).toEqual(placeholders(text));
      for (const name of placeholders(text)) expect(name, key).toMatch(/^\w+$/);
    }
  });

  it("gives each key to one area only", () => {
    const keys = Object.values(AREAS).flatMap((area) => Object.keys(area.zh));
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.keys(pickMessages("zh-CN", [""]))).toHaveLength(keys.length);
  });

  it("has no empty text and no text left untranslated", () => {
    const en = pickMessages("en", [""]);
    for (const [key, text] of Object.entries(pickMessages("zh-CN", [""]))) {
      expect(text.trim(), key).not.toBe("");
      expect(en[key as keyof typeof en].trim(), key).not.toBe("");
    }
  });
});

describe("the translator", () => {
  it("fills every placeholder, in either language", () => {
    expect(translator("zh-CN")("bind.err.wrong_code", { tries: 4 })).toBe("验证码不正确，还可以再试 4 次。");
    expect(translator("en")("account.historyHint", { days: 90, limit: 50 })).toBe("Last 90 days, at most 50 shown");
  });

  it("refuses a missing, misspelt or extra value at compile time", () => {
    const t = translator("en");
    // @ts-expect-error: wrong_code needs {tries}
    expect(t("bind.err.wrong_code")).toBe("Wrong code. {tries} tries left.");
    // @ts-expect-error: a misspelt placeholder
    expect(t("bind.err.wrong_code", { trys: 4 })).toBe("Wrong code. {tries} tries left.");
    // @ts-expect-error: a message without placeholders takes no values
    expect(t("bind.send", { n: 1 })).toBe("Send code");
  });

  it("works the same on the few messages a client island is given", () => {
    const messages = pickMessages("en", ["live."]);
    expect(Object.keys(messages).every((key) => key.startsWith("live."))).toBe(true);
    expect(createTranslator(messages)("live.signedInAs", { name: "林晓" })).toBe("Signed in as 林晓");
  });

  it("inserts values as they are: a value that looks like a placeholder is not filled again", () => {
    expect(translator("en")("live.signedInAs", { name: "{name}" })).toBe("Signed in as {name}");
  });

  it("writes a text for an unknown reader in every language, zh-CN first", () => {
    expect(inAllLocales("push.finished")).toBe("该次登录已完成或已取消。\nThis sign-in is already finished or cancelled.");
    expect(allLocales("push.confirmLink")).toEqual(["确认登录", "Confirm sign-in"]);
  });
});

describe("the wait before a retry", () => {
  const zh = translator("zh-CN");
  const en = translator("en");

  it("reads in seconds under two minutes, minutes under two hours, else hours, rounded up", () => {
    expect(formatWait(zh, 45)).toBe("45 秒");
    expect(formatWait(zh, 119)).toBe("119 秒");
    expect(formatWait(zh, 120)).toBe("2 分钟");
    expect(formatWait(zh, 601)).toBe("11 分钟");
    expect(formatWait(zh, 7200)).toBe("2 小时");
    expect(formatWait(zh, 82_800 + 1)).toBe("24 小时");
    expect(formatWait(en, 1)).toBe("1 second");
    expect(formatWait(en, 45)).toBe("45 seconds");
    expect(formatWait(en, 3600)).toBe("60 minutes");
    expect(formatWait(en, 86_400)).toBe("24 hours");
  });

  it("is the one the sign-in limits and the binding limits both say", () => {
    expect(zh("login.limited", { wait: formatWait(zh, 30) })).toBe("请求过于频繁，请在 30 秒后重试。");
    expect(en("login.limited", { wait: formatWait(en, 600) })).toBe("Too many requests. Please try again in 10 minutes.");
    expect(zh("bind.err.resend_wait", { wait: formatWait(zh, 58) })).toBe("发送太频繁，请在 58 秒后重新发送。");
    expect(en("bind.err.ip_daily_limit", { wait: formatWait(en, 50_000) })).toBe(
      "Too many codes were requested from your network today. Try again in 14 hours.",
    );
  });
});
