/**
 * A deliberately small XML reader and writer for WeChat's push bodies.
 *
 * WeChat pushes flat documents (`<xml><ToUserName><![CDATA[gh_…]]></ToUserName>…</xml>`), so the
 * reader accepts exactly that family and refuses the rest: no DTD, no processing instructions, no
 * entity other than the five predefined ones and numeric character references. XXE and "billion
 * laughs" are therefore refused before anything could be expanded, because nothing ever is.
 *
 * @see docs/wechat-protocol.md §B3
 */

/** Default body limit: WeChat's pushes are a few hundred bytes; 64 KiB leaves room for long texts. */
export const DEFAULT_MAX_XML_BYTES = 64 * 1024;

/** At most this many direct children of `<xml>`; the richest WeChat event has about 20. */
export const MAX_XML_FIELDS = 64;

// Nesting bound for values such as <ScanCodeInfo> or <SendPicsInfo><PicList><item>…; it also
// bounds the reader's recursion.
const MAX_DEPTH = 8;
const MAX_NAME_LENGTH = 64;

/**
 * Why a body was refused: `too_large` (over the byte limit), `forbidden` (DTD, entity declaration,
 * processing instruction, undeclared entity), `malformed` (anything else the reader cannot accept),
 * or `build` (a value that cannot be written as XML 1.0).
 */
export type PushXmlErrorReason = "too_large" | "forbidden" | "malformed" | "build";

/**
 * A push body could not be read, or a reply could not be written. `code` is the matching
 * WXBizMsgCrypt reference code: -40002 (XML parse) or -40011 (XML build).
 *
 * @see docs/wechat-protocol.md §B3 (reference-sample error codes)
 */
export class PushXmlError extends Error {
  override name = "PushXmlError";
  readonly code: -40002 | -40011;
  constructor(
    readonly reason: PushXmlErrorReason,
    message: string,
  ) {
    super(message);
    this.code = reason === "build" ? -40011 : -40002;
  }
}

export type ParseWechatXmlOptions = {
  /** Largest accepted body in UTF-8 bytes; default {@link DEFAULT_MAX_XML_BYTES}. */
  maxBytes?: number;
};

// XML 1.0 `Char`: everything else (NUL, most C0 controls, lone surrogates, U+FFFE/U+FFFF) cannot
// appear in a document at all, not even as a character reference.
const INVALID_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const REFERENCE = /&(?:#([0-9]{1,10})|#x([0-9A-Fa-f]{1,8})|([A-Za-z_][A-Za-z0-9_.-]*));/y;
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const XML_DECLARATION =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]\1(?:\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/;

function isXmlWhitespace(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\n" || char === "\r";
}

function isAllowedCodePoint(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

type ElementContent = { text: string; hasElements: boolean; innerStart: number; innerEnd: number };

/** A cursor over one body; every failure is a PushXmlError carrying the offset, never the content. */
class XmlReader {
  pos = 0;
  constructor(readonly src: string) {}

  fail(reason: PushXmlErrorReason, what: string): never {
    throw new PushXmlError(reason, `${reason === "forbidden" ? "refused" : "malformed"} XML at offset ${this.pos}: ${what}`);
  }

  startsWith(prefix: string): boolean {
    return this.src.startsWith(prefix, this.pos);
  }

  skipWhitespace(): void {
    while (isXmlWhitespace(this.src[this.pos])) this.pos++;
  }

  readName(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.src);
    if (!match) this.fail("malformed", "expected an element or attribute name");
    if (match[0].length > MAX_NAME_LENGTH) this.fail("malformed", "name too long");
    this.pos += match[0].length;
    return match[0];
  }

  /** `<!--…-->`; XML forbids `--` inside, which also keeps `<!-- -- >` tricks out. */
  skipComment(): void {
    const end = this.src.indexOf("-->", this.pos + 4);
    if (end < 0) this.fail("malformed", "unclosed comment");
    if (this.src.slice(this.pos + 4, end).includes("--")) this.fail("malformed", "'--' inside a comment");
    this.pos = end + 3;
  }

  /** Markup that can declare or pull in entities, or run a processor, is refused outright. */
  refuseDeclarations(): void {
    if (this.startsWith("<!DOCTYPE")) this.fail("forbidden", "DOCTYPE is not accepted");
    if (this.startsWith("<!ENTITY")) this.fail("forbidden", "ENTITY declarations are not accepted");
    if (this.startsWith("<?xml-stylesheet")) this.fail("forbidden", "xml-stylesheet is not accepted");
    if (this.startsWith("<?")) this.fail("forbidden", "processing instructions are not accepted");
    if (this.startsWith("<!") && !this.startsWith("<!--") && !this.startsWith("<![CDATA[")) {
      this.fail("forbidden", "markup declarations are not accepted");
    }
  }

  /** Decodes one reference at `pos`; anything but the five predefined entities and `&#…;` is refused. */
  readReference(): string {
    REFERENCE.lastIndex = this.pos;
    const match = REFERENCE.exec(this.src);
    if (!match) this.fail("malformed", "'&' must start a reference such as &amp;");
    const [whole, decimal, hex, name] = match;
    if (name !== undefined) {
      const value = PREDEFINED_ENTITIES[name];
      if (value === undefined) this.fail("forbidden", `undeclared entity &${name}; (entities are never expanded)`);
      this.pos += whole.length;
      return value;
    }
    const code = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? "", 16);
    if (!isAllowedCodePoint(code)) this.fail("malformed", "character reference to a character XML does not allow");
    this.pos += whole.length;
    return String.fromCodePoint(code);
  }

  /** Reads the start tag after its name; attributes are checked and dropped (WeChat sends none). */
  readStartTagRest(): { selfClosing: boolean } {
    const seen = new Set<string>();
    for (;;) {
      const hadSpace = isXmlWhitespace(this.src[this.pos]);
      this.skipWhitespace();
      if (this.startsWith("/>")) {
        this.pos += 2;
        return { selfClosing: true };
      }
      if (this.startsWith(">")) {
        this.pos += 1;
        return { selfClosing: false };
      }
      if (this.pos >= this.src.length) this.fail("malformed", "unclosed start tag");
      if (!hadSpace) this.fail("malformed", "expected whitespace, '>' or '/>' in a start tag");
      const name = this.readName();
      if (seen.has(name)) this.fail("malformed", `duplicate attribute ${name}`);
      seen.add(name);
      this.skipWhitespace();
      if (this.src[this.pos] !== "=") this.fail("malformed", "expected '=' after an attribute name");
      this.pos++;
      this.skipWhitespace();
      const quote = this.src[this.pos];
      if (quote !== '"' && quote !== "'") this.fail("malformed", "attribute values must be quoted");
      this.pos++;
      for (;;) {
        const char = this.src[this.pos];
        if (char === undefined) this.fail("malformed", "unclosed attribute value");
        if (char === quote) break;
        if (char === "<") this.fail("malformed", "'<' inside an attribute value");
        if (char === "&") this.readReference();
        else this.pos++;
      }
      this.pos++;
    }
  }

  readEndTag(expected: string): void {
    this.pos += 2;
    const name = this.readName();
    if (name !== expected) this.fail("malformed", `</${name}> closes <${expected}>`);
    this.skipWhitespace();
    if (this.src[this.pos] !== ">") this.fail("malformed", `unclosed end tag </${name}`);
    this.pos++;
  }

  /**
   * Reads an element's content up to and including its end tag. Text and CDATA are concatenated;
   * nested elements are checked by the same rules but only reported through `hasElements`.
   */
  readContent(name: string, depth: number): ElementContent {
    const innerStart = this.pos;
    const parts: string[] = [];
    let hasElements = false;
    for (;;) {
      const char = this.src[this.pos];
      if (char === undefined) this.fail("malformed", `unclosed <${name}>`);
      if (char === "&") {
        parts.push(this.readReference());
        continue;
      }
      if (char !== "<") {
        let end = this.pos;
        while (end < this.src.length && this.src[end] !== "<" && this.src[end] !== "&") end++;
        const text = this.src.slice(this.pos, end);
        // XML reserves "]]>" as the CDATA terminator; in plain text it signals a broken producer.
        if (text.includes("]]>")) this.fail("malformed", "']]>' outside CDATA");
        parts.push(text);
        this.pos = end;
        continue;
      }
      if (this.startsWith("</")) {
        const innerEnd = this.pos;
        this.readEndTag(name);
        return { text: parts.join(""), hasElements, innerStart, innerEnd };
      }
      if (this.startsWith("<![CDATA[")) {
        const end = this.src.indexOf("]]>", this.pos + 9);
        if (end < 0) this.fail("malformed", "unclosed CDATA section");
        parts.push(this.src.slice(this.pos + 9, end));
        this.pos = end + 3;
        continue;
      }
      if (this.startsWith("<!--")) {
        this.skipComment();
        continue;
      }
      this.refuseDeclarations();
      if (depth + 1 > MAX_DEPTH) this.fail("malformed", `elements nested deeper than ${MAX_DEPTH}`);
      this.pos++;
      const child = this.readName();
      if (!this.readStartTagRest().selfClosing) this.readContent(child, depth + 1);
      hasElements = true;
    }
  }

  /** Whitespace, comments; declarations and PIs are refused wherever they appear. */
  skipMisc(): void {
    for (;;) {
      this.skipWhitespace();
      if (this.startsWith("<!--")) {
        this.skipComment();
        continue;
      }
      if (this.startsWith("<!") || this.startsWith("<?")) this.refuseDeclarations();
      return;
    }
  }
}

/**
 * Reads a WeChat push body into the text of the direct children of its `<xml>` root.
 *
 * - Values are the element's text with CDATA kept verbatim and `&lt; &gt; &amp; &quot; &apos;`
 *   and `&#…;` decoded; whitespace is preserved (WeChat sends none around values).
 * - A child that itself holds elements (`<ScanCodeInfo>`, `<SendPicsInfo>`, `<Articles>`) is
 *   returned as its raw inner markup, unchanged and already checked by the same rules; wrap it in
 *   `<xml>…</xml>` to read one level further.
 * - Attributes are checked and ignored. `<Key/>` reads as `""`.
 * - The result has no prototype, so a field named `__proto__` or `constructor` is just a field.
 *
 * Refused with {@link PushXmlError}: bodies over `maxBytes` (UTF-8), a DOCTYPE, ENTITY or other
 * `<!` declaration, processing instructions (the leading `<?xml …?>` declaration excepted), any
 * entity other than the five predefined ones, characters XML 1.0 does not allow, a root other than
 * `<xml>`, text or a second element outside it, text directly inside it, unclosed or mismatched
 * tags, duplicate or more than {@link MAX_XML_FIELDS} children, nesting deeper than 8.
 * Markup-looking text inside CDATA (`<![CDATA[<!DOCTYPE …]]>`) is data, not markup, and is accepted.
 *
 * @see docs/wechat-protocol.md §B3
 */
export function parseWechatXml(body: string, options: ParseWechatXmlOptions = {}): Record<string, string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  if (typeof body !== "string") throw new PushXmlError("malformed", "body is not a string");
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new RangeError("maxBytes must be a positive integer");
  // A UTF-16 code unit never takes fewer than one UTF-8 byte, so the length test saves encoding huge input.
  if (body.length > maxBytes || Buffer.byteLength(body, "utf8") > maxBytes) {
    throw new PushXmlError("too_large", `body is larger than ${maxBytes} bytes`);
  }

  // Annotated so that the never-returning reader.fail() narrows like a throw.
  const reader: XmlReader = new XmlReader(body);
  if (body.startsWith("\uFEFF")) reader.pos = 1;
  const invalid = INVALID_XML_CHAR.exec(body.slice(reader.pos));
  if (invalid) {
    reader.pos += invalid.index;
    reader.fail("malformed", "character XML does not allow");
  }

  reader.skipWhitespace();
  if (reader.startsWith("<?xml") && (isXmlWhitespace(body[reader.pos + 5]) || body[reader.pos + 5] === "?")) {
    const declaration = XML_DECLARATION.exec(body.slice(reader.pos));
    if (!declaration) reader.fail("malformed", "bad XML declaration");
    reader.pos += declaration[0].length;
  }
  reader.skipMisc();

  if (body[reader.pos] !== "<") reader.fail("malformed", reader.pos >= body.length ? "no root element" : "text outside the root element");
  reader.pos++;
  const rootName = reader.readName();
  if (rootName !== "xml") reader.fail("malformed", `root element must be <xml>, not <${rootName}>`);

  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  if (!reader.readStartTagRest().selfClosing) {
    for (;;) {
      reader.skipWhitespace();
      const char = body[reader.pos];
      if (char === undefined) reader.fail("malformed", "unclosed <xml>");
      if (char !== "<" || reader.startsWith("<![CDATA[")) reader.fail("malformed", "text directly inside <xml>");
      if (reader.startsWith("</")) {
        reader.readEndTag("xml");
        break;
      }
      if (reader.startsWith("<!--")) {
        reader.skipComment();
        continue;
      }
      reader.refuseDeclarations();
      reader.pos++;
      const name = reader.readName();
      if (Object.hasOwn(fields, name)) reader.fail("malformed", `duplicate field <${name}>`);
      if (++count > MAX_XML_FIELDS) reader.fail("malformed", `more than ${MAX_XML_FIELDS} fields`);
      let value = "";
      if (!reader.readStartTagRest().selfClosing) {
        const content = reader.readContent(name, 1);
        value = content.hasElements ? body.slice(content.innerStart, content.innerEnd) : content.text;
      }
      // Nothing is ever expanded, so a value can only shrink; a longer one would mean a reader bug.
      if (value.length > body.length) reader.fail("malformed", `field <${name}> longer than the body`);
      fields[name] = value;
    }
  }

  reader.skipMisc();
  if (reader.pos < body.length) reader.fail("malformed", "content after the root element");
  return fields;
}

function assertWritable(text: string, what: string): void {
  if (typeof text !== "string") throw new PushXmlError("build", `${what} is not a string`);
  if (INVALID_XML_CHAR.test(text)) throw new PushXmlError("build", `${what} holds a character XML 1.0 cannot carry`);
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" };

/** Escapes text for an XML text node or attribute value (all five predefined entities). */
export function escapeXmlText(text: string): string {
  assertWritable(text, "text");
  return text.replace(/[&<>"']/g, (char) => `&${ESCAPES[char]};`);
}

/**
 * Wraps text in CDATA. A `]]>` inside would end the section early, so it is split across two
 * sections (`]]]]><![CDATA[>`), which readers join back into the original text.
 */
export function wrapCdata(text: string): string {
  assertWritable(text, "text");
  return `<![CDATA[${text.replaceAll("]]>", "]]]]><![CDATA[>")}]]>`;
}

export type TextReply = { toUser: string; fromUser: string; createTime: number; content: string };

/**
 * Builds the passive text reply. `toUser` is the user's openid (the push's FromUserName) and
 * `fromUser` the account's original id (the push's ToUserName); `createTime` is unix seconds.
 *
 * @see docs/wechat-protocol.md §B3 (reply rules)
 */
export function buildTextReplyXml(reply: TextReply): string {
  if (!Number.isSafeInteger(reply.createTime) || reply.createTime < 0) {
    throw new PushXmlError("build", "createTime must be a non-negative integer (unix seconds)");
  }
  return (
    `<xml><ToUserName>${wrapCdata(reply.toUser)}</ToUserName>` +
    `<FromUserName>${wrapCdata(reply.fromUser)}</FromUserName>` +
    `<CreateTime>${reply.createTime}</CreateTime>` +
    `<MsgType><![CDATA[text]]></MsgType>` +
    `<Content>${wrapCdata(reply.content)}</Content></xml>`
  );
}
