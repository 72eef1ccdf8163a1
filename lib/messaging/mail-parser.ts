/**
 * A small MIME reader for the SMTP sink: enough to read what nodemailer (or any ordinary mailer)
 * sends — folded headers, RFC 2047 encoded words, multipart bodies, base64 and quoted-printable,
 * any charset Node's TextDecoder knows. Not a general mail parser (mailparser is not a
 * dependency): no attachments, no S/MIME, and the first text/plain and text/html parts win.
 *
 * Bytes are handled as latin1 strings (one char per byte) until a part is decoded with its charset,
 * so 8-bit UTF-8 survives the splitting untouched.
 */

export type ParsedMail = {
  /** Header names in lower case; a repeated header keeps its first value. Values decoded. */
  headers: Record<string, string>;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
};

export function parseMail(raw: Buffer | string): ParsedMail {
  const bytes = typeof raw === "string" ? Buffer.from(raw, "utf8").toString("latin1") : raw.toString("latin1");
  const root = parsePart(bytes);
  const found: { text?: string; html?: string } = {};
  collectBodies(root, found);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(root.headers)) headers[name] = decodeHeaderValue(value);
  return {
    headers,
    from: headers.from ?? "",
    to: headers.to ?? "",
    subject: headers.subject ?? "",
    text: found.text ?? "",
    html: found.html,
  };
}

type Part = { headers: Record<string, string>; body: string };

function parsePart(bytes: string): Part {
  const split = /\r?\n\r?\n/.exec(bytes);
  const head = split ? bytes.slice(0, split.index) : bytes;
  const body = split ? bytes.slice(split.index + split[0].length) : "";
  const headers: Record<string, string> = {};
  // Unfold: a line starting with white space continues the previous header.
  for (const line of head.replace(/\r?\n(?=[ \t])/g, "").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] ??= line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function collectBodies(part: Part, found: { text?: string; html?: string }): void {
  const { type, params } = parseContentType(part.headers["content-type"]);
  if (type.startsWith("multipart/") && params.boundary) {
    for (const child of splitMultipart(part.body, params.boundary)) collectBodies(parsePart(child), found);
    return;
  }
  if ((part.headers["content-disposition"] ?? "").toLowerCase().startsWith("attachment")) return;
  if (type !== "text/plain" && type !== "text/html") return;
  const decoded = decodeBytes(decodeTransfer(part.body, part.headers["content-transfer-encoding"]), params.charset).replace(/\r\n/g, "\n");
  if (type === "text/plain") found.text ??= decoded;
  else found.html ??= decoded;
}

function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: "text/plain", params: {} };
  const [type = "", ...rest] = value.split(";");
  const params: Record<string, string> = {};
  for (const param of rest) {
    const equals = param.indexOf("=");
    if (equals < 0) continue;
    const key = param.slice(0, equals).trim().toLowerCase();
    params[key] = param.slice(equals + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return { type: type.trim().toLowerCase(), params };
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  const lines = body.split(/\r?\n/);
  let current: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith(delimiter)) {
      if (current) parts.push(current.join("\r\n"));
      if (line.startsWith(`${delimiter}--`)) return parts;
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join("\r\n"));
  return parts;
}

/** Content-Transfer-Encoding → the part's bytes. */
function decodeTransfer(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? "7bit").trim().toLowerCase()) {
    case "base64":
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, "latin1");
  }
}

function decodeQuotedPrintable(body: string): Buffer {
  const unwrapped = body.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let index = 0; index < unwrapped.length; index++) {
    const char = unwrapped[index]!;
    const hex = unwrapped.slice(index + 1, index + 3);
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(char.charCodeAt(0) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeBytes(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(bytes);
  } catch {
    return bytes.toString("utf8");
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** RFC 2047: `=?UTF-8?B?5b6u5L+h?=` → `微信`. Raw 8-bit header bytes are read as UTF-8. */
export function decodeHeaderValue(value: string): string {
  // White space between two encoded words is not part of the text, and a character may be split
  // across two words: the bytes of adjacent words in one charset are decoded together.
  const joined = value.replace(/(\?=)\s+(?==\?)/g, "$1");
  let result = "";
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (pending) result += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (const match of joined.matchAll(ENCODED_WORD)) {
    const between = joined.slice(last, match.index);
    if (between !== "") {
      flush();
      result += Buffer.from(between, "latin1").toString("utf8");
    }
    const [, rawCharset = "utf-8", kind = "B", text = ""] = match;
    // `charset*language` (RFC 2231) names the language too.
    const charset = rawCharset.replace(/\*.*$/, "").toLowerCase();
    const bytes = kind.toUpperCase() === "B" ? Buffer.from(text, "base64") : decodeQuotedPrintable(text.replace(/_/g, " "));
    if (pending && pending.charset !== charset) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(bytes);
    last = match.index + match[0].length;
  }
  flush();
  return result + Buffer.from(joined.slice(last), "latin1").toString("utf8");
}
