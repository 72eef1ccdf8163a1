import { describe, expect, it } from "vitest";
import { buildTextReplyXml, escapeXmlText, parseWechatXml, PushXmlError, wrapCdata, type PushXmlErrorReason } from "./xml";

// §B3 constructed examples.
const SUBSCRIBE = `<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName>
<FromUserName><![CDATA[oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A]]></FromUserName>
<CreateTime>1700000123</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_login_5f1c9a2e]]></EventKey>
<Ticket><![CDATA[gQF...AAA==]]></Ticket></xml>`;
const SCAN = SUBSCRIBE.replace("[subscribe]", "[SCAN]").replace("qrscene_login_5f1c9a2e", "login_5f1c9a2e");

function refusal(body: string, options?: { maxBytes?: number }): { reason: PushXmlErrorReason; message: string } {
  try {
    parseWechatXml(body, options);
  } catch (error) {
    expect(error).toBeInstanceOf(PushXmlError);
    const { reason, message } = error as PushXmlError;
    return { reason, message };
  }
  throw new Error(`accepted: ${body.slice(0, 80)}`);
}

describe("parseWechatXml: WeChat's bodies", () => {
  it("reads the §B3 subscribe and SCAN events", () => {
    expect({ ...parseWechatXml(SUBSCRIBE) }).toEqual({
      ToUserName: "gh_0a1b2c3d4e5f",
      FromUserName: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A",
      CreateTime: "1700000123",
      MsgType: "event",
      Event: "subscribe",
      EventKey: "qrscene_login_5f1c9a2e",
      Ticket: "gQF...AAA==",
    });
    const scan = parseWechatXml(SCAN);
    expect(scan.Event).toBe("SCAN");
    expect(scan.EventKey).toBe("login_5f1c9a2e");
  });

  it("accepts a declaration, a BOM, comments, an empty and a self-closed field", () => {
    const fields = parseWechatXml(`\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- hi --><xml><EventKey></EventKey><Ticket/><!-- c --></xml>\n`);
    expect({ ...fields }).toEqual({ EventKey: "", Ticket: "" });
    expect({ ...parseWechatXml("<xml/>") }).toEqual({});
  });

  it("keeps CDATA verbatim, including < & and split ]]>", () => {
    const fields = parseWechatXml("<xml><Content><![CDATA[a < b && c]]]]><![CDATA[>d <!DOCTYPE x> &xxe;]]></Content></xml>");
    expect(fields.Content).toBe("a < b && c]]>d <!DOCTYPE x> &xxe;");
  });

  it("decodes the five predefined entities and numeric references, in text and mixed with CDATA", () => {
    const fields = parseWechatXml("<xml><A>&lt;&gt;&amp;&quot;&apos;</A><B>&#65;&#x42;&#x1F600;&#0000067;</B><C>x<![CDATA[&amp;]]>y</C></xml>");
    expect(fields.A).toBe(`<>&"'`);
    expect(fields.B).toBe("AB\u{1F600}C");
    expect(fields.C).toBe("x&amp;y");
  });

  it("returns a nested element's raw inner markup, which reads again inside <xml>", () => {
    const body =
      "<xml><Event><![CDATA[scancode_push]]></Event><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo></xml>";
    const fields = parseWechatXml(body);
    expect(fields.ScanCodeInfo).toBe("<ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult>");
    expect({ ...parseWechatXml(`<xml>${fields.ScanCodeInfo}</xml>`) }).toEqual({ ScanType: "qrcode", ScanResult: "1" });
  });

  it("ignores attributes and treats __proto__ as an ordinary field", () => {
    const fields = parseWechatXml(`<xml a="1"><__proto__ x='y'>p</__proto__><constructor>c</constructor></xml>`);
    expect(Object.getPrototypeOf(fields)).toBe(null);
    expect(fields.__proto__).toBe("p");
    expect(fields.constructor).toBe("c");
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });

  it("accepts exactly 64 fields and a body of exactly maxBytes", () => {
    const body = `<xml>${Array.from({ length: 64 }, (_, index) => `<F${index}>v</F${index}>`).join("")}</xml>`;
    expect(Object.keys(parseWechatXml(body))).toHaveLength(64);
    expect(Object.keys(parseWechatXml(body, { maxBytes: Buffer.byteLength(body) }))).toHaveLength(64);
  });
});

describe("parseWechatXml: refusals", () => {
  it("refuses XXE: DOCTYPE with an external entity", () => {
    const body = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>`;
    expect(refusal(body).reason).toBe("forbidden");
    expect(refusal(body).message).toMatch(/DOCTYPE/);
  });

  it("refuses billion laughs before expanding anything", () => {
    const entities = Array.from({ length: 9 }, (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level};`.repeat(10)}">`).join("");
    const body = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${entities}]><xml><A>&lol9;</A></xml>`;
    expect(refusal(body).reason).toBe("forbidden");
  });

  it("refuses undeclared entities, ENTITY and other declarations inside the root, and processing instructions", () => {
    expect(refusal("<xml><A>&xxe;</A></xml>")).toMatchObject({ reason: "forbidden", message: expect.stringMatching(/undeclared entity &xxe;/) });
    expect(refusal("<xml><A>&nbsp;</A></xml>").reason).toBe("forbidden");
    expect(refusal(`<xml><A b="&xxe;">x</A></xml>`).reason).toBe("forbidden");
    expect(refusal(`<xml><!ENTITY x "y"><A>x</A></xml>`).reason).toBe("forbidden");
    expect(refusal(`<xml><A><!DOCTYPE x></A></xml>`).reason).toBe("forbidden");
    expect(refusal(`<?xml-stylesheet href="x.xsl"?><xml/>`).reason).toBe("forbidden");
    expect(refusal(`<xml><?php echo 1 ?></xml>`).reason).toBe("forbidden");
    expect(refusal(`<xml/><?pi?>`).reason).toBe("forbidden");
    expect(refusal(`<!ELEMENT xml ANY><xml/>`).reason).toBe("forbidden");
  });

  it("refuses bodies over the byte limit, counted in UTF-8 bytes", () => {
    expect(refusal(`<xml><A>${"a".repeat(70_000)}</A></xml>`).reason).toBe("too_large");
    // 100 characters, 300 bytes.
    const body = `<xml><A>${"登".repeat(100)}</A></xml>`;
    expect(refusal(body, { maxBytes: 200 }).reason).toBe("too_large");
    expect(parseWechatXml(body, { maxBytes: 400 }).A).toHaveLength(100);
  });

  it.each([
    ["a root other than <xml>", "<root><A>1</A></root>", /root element must be <xml>/],
    ["an upper-case root", "<XML><A>1</A></XML>", /root element must be <xml>/],
    ["no root", "   ", /no root element/],
    ["text before the root", "hello<xml/>", /text outside the root/],
    ["text after the root", "<xml/>hello", /after the root/],
    ["a second root", "<xml/><xml/>", /after the root/],
    ["text directly inside <xml>", "<xml>hi<A>1</A></xml>", /text directly inside/],
    ["CDATA directly inside <xml>", "<xml><![CDATA[x]]></xml>", /text directly inside/],
    ["an unclosed field", "<xml><A>1</xml>", /<\/xml> closes <A>/],
    ["an unclosed root", "<xml><A>1</A>", /unclosed <xml>/],
    ["a truncated end tag", "<xml><A>1</A", /unclosed end tag/],
    ["an unclosed start tag", "<xml><A", /unclosed start tag/],
    ["mismatched names", "<xml><A>1</B></xml>", /<\/B> closes <A>/],
    ["an unclosed CDATA", "<xml><A><![CDATA[1</A></xml>", /unclosed CDATA/],
    ["an unclosed comment", "<xml><!-- x</xml>", /unclosed comment/],
    ["duplicate fields", "<xml><A>1</A><A>2</A></xml>", /duplicate field <A>/],
    ["a bare &", "<xml><A>a & b</A></xml>", /'&' must start a reference/],
    ["]]> in text", "<xml><A>a ]]> b</A></xml>", /']]>' outside CDATA/],
    ["a reference to NUL", "<xml><A>&#0;</A></xml>", /character reference/],
    ["a reference past U+10FFFF", "<xml><A>&#x110000;</A></xml>", /character reference/],
    ["a raw control character", "<xml><A>\u0001</A></xml>", /character XML does not allow/],
    ["a lone surrogate", "<xml><A>\uD800</A></xml>", /character XML does not allow/],
    ["an unquoted attribute", "<xml><A b=1>x</A></xml>", /quoted/],
    ["a duplicate attribute", `<xml><A b="1" b="2">x</A></xml>`, /duplicate attribute/],
    ["a bad declaration", `<?xml version="2.0"?><xml/>`, /bad XML declaration/],
    ["'<' in an attribute", `<xml><A b="<">x</A></xml>`, /'<' inside an attribute/],
  ])("refuses %s", (_, body, message) => {
    const result = refusal(body);
    expect(result.reason).toBe("malformed");
    expect(result.message).toMatch(message);
  });

  it("refuses more than 64 fields and nesting deeper than 8", () => {
    const many = `<xml>${Array.from({ length: 65 }, (_, index) => `<F${index}>v</F${index}>`).join("")}</xml>`;
    expect(refusal(many).message).toMatch(/more than 64 fields/);
    // Levels below <xml>: 8 are read, a 9th is refused.
    const deep = `<xml>${"<a>".repeat(9)}x${"</a>".repeat(9)}</xml>`;
    expect(refusal(deep).message).toMatch(/nested deeper than 8/);
    expect(parseWechatXml(`<xml>${"<a>".repeat(8)}x${"</a>".repeat(8)}</xml>`).a).toBe(`${"<a>".repeat(7)}x${"</a>".repeat(7)}`);
  });

  it("never says what the body contained, only where it broke", () => {
    expect(refusal("<xml><A>SECRET-TOKEN</B></xml>").message).not.toContain("SECRET-TOKEN");
  });
});

describe("parseWechatXml: fuzz", () => {
  // A small seeded generator keeps failures reproducible.
  function mulberry32(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let value = Math.imul(state ^ (state >>> 15), 1 | state);
      value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
      return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
    };
  }

  function expectOnlyPushXmlError(body: string): void {
    try {
      const fields = parseWechatXml(body);
      for (const value of Object.values(fields)) expect(typeof value).toBe("string");
    } catch (error) {
      if (!(error instanceof PushXmlError)) throw new Error(`non-PushXmlError for ${JSON.stringify(body)}: ${String(error)}`);
    }
  }

  it("random byte strings only ever raise PushXmlError", () => {
    const random = mulberry32(20240426);
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      expectOnlyPushXmlError(bytes.toString(round % 2 === 0 ? "latin1" : "utf8"));
    }
  });

  it("mutations of a real body only ever raise PushXmlError", () => {
    const random = mulberry32(7);
    const alphabet = [
      "<",
      ">",
      "/",
      "&",
      ";",
      "!",
      "[",
      "]",
      "?",
      "=",
      '"',
      "'",
      "-",
      " ",
      "#",
      "x",
      "CDATA[",
      "<!--",
      "-->",
      "]]>",
      "&#",
      "<xml>",
      "</xml>",
      "\u0000",
      "\uD800",
      "登",
    ];
    let accepted = 0;
    for (let round = 0; round < 5000; round++) {
      let body = SUBSCRIBE;
      for (let edit = 0; edit < 1 + Math.floor(random() * 3); edit++) {
        const at = Math.floor(random() * body.length);
        const piece = alphabet[Math.floor(random() * alphabet.length)] ?? "";
        const mode = random();
        body =
          mode < 0.4
            ? body.slice(0, at) + piece + body.slice(at)
            : mode < 0.7
              ? body.slice(0, at) + body.slice(at + 1 + Math.floor(random() * 8))
              : body.slice(0, at) + piece + body.slice(at + piece.length);
      }
      try {
        parseWechatXml(body);
        accepted++;
      } catch (error) {
        if (!(error instanceof PushXmlError)) throw new Error(`non-PushXmlError for ${JSON.stringify(body)}: ${String(error)}`);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it("refuses non-strings with PushXmlError", () => {
    expect(() => parseWechatXml(undefined as unknown as string)).toThrow(PushXmlError);
  });
});

describe("writing", () => {
  it("escapes all five predefined characters", () => {
    expect(escapeXmlText(`<a href="x">Tom & Jerry's</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;");
  });

  it("splits ]]> across CDATA sections so it reads back unchanged", () => {
    const text = "a]]>b]]]]>c<&";
    expect(wrapCdata(text)).toBe("<![CDATA[a]]]]><![CDATA[>b]]]]]]><![CDATA[>c<&]]>");
    expect(parseWechatXml(`<xml><A>${wrapCdata(text)}</A></xml>`).A).toBe(text);
  });

  it("builds the passive text reply and reads it back", () => {
    const xml = buildTextReplyXml({
      toUser: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A",
      fromUser: "gh_0a1b2c3d4e5f",
      createTime: 1700000124,
      content: "登录成功 ]]> <b>&",
    });
    expect(xml).toBe(
      "<xml><ToUserName><![CDATA[oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A]]></ToUserName><FromUserName><![CDATA[gh_0a1b2c3d4e5f]]></FromUserName>" +
        "<CreateTime>1700000124</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[登录成功 ]]]]><![CDATA[> <b>&]]></Content></xml>",
    );
    expect({ ...parseWechatXml(xml) }).toEqual({
      ToUserName: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A",
      FromUserName: "gh_0a1b2c3d4e5f",
      CreateTime: "1700000124",
      MsgType: "text",
      Content: "登录成功 ]]> <b>&",
    });
  });

  it("refuses what XML 1.0 cannot carry, with code -40011", () => {
    expect(() => wrapCdata("a\u0000b")).toThrow(PushXmlError);
    expect(() => escapeXmlText("\uFFFF")).toThrow(PushXmlError);
    expect(() => buildTextReplyXml({ toUser: "o", fromUser: "gh", createTime: 1.5, content: "x" })).toThrow(/createTime/);
    try {
      wrapCdata("\u0000");
    } catch (error) {
      expect((error as PushXmlError).code).toBe(-40011);
      expect((error as PushXmlError).reason).toBe("build");
    }
  });
});
