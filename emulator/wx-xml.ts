/**
 * Just enough XML for WeChat's flat `<xml>` messages: building pushes and reading replies. Not a general
 * parser; WeChat's own messages never need one (one level of elements, text in CDATA, numbers bare).
 */

export type XmlFields = Readonly<Record<string, string | number>>;

/** Wraps text in CDATA, splitting any `]]>` inside it. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll("]]>", "]]]]><![CDATA[>")}]]>`;
}

/** `<xml>` with one element per field in insertion order: numbers bare, strings in CDATA, as WeChat sends them. */
export function buildXml(fields: XmlFields): string {
  const elements = Object.entries(fields).map(([name, value]) => `<${name}>${typeof value === "number" ? value : cdata(value)}</${name}>`);
  return `<xml>${elements.join("\n")}</xml>`;
}

/** Adds an element just before `</xml>` (compatible mode appends `<Encrypt>` to the plaintext fields). */
export function appendXmlField(xml: string, name: string, value: string): string {
  const end = xml.lastIndexOf("</xml>");
  if (end < 0) return xml;
  return `${xml.slice(0, end)}\n<${name}>${cdata(value)}</${name}>${xml.slice(end)}`;
}

/** Whether a body is an `<xml>…</xml>` document (an `<?xml …?>` declaration and whitespace allowed). */
export function isXmlDocument(body: string): boolean {
  const trimmed = body.trim().replace(/^<\?xml[^>]*\?>\s*/, "");
  return trimmed.startsWith("<xml>") && trimmed.endsWith("</xml>");
}

const ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith("#x") || entity.startsWith("#X")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/**
 * The text of the first `<name>` element: CDATA sections verbatim, other text entity-decoded. An element
 * with children answers its raw inner markup. Undefined when absent.
 */
export function readXmlField(xml: string, name: string): string | undefined {
  const open = new RegExp(`<${name}(?:\\s[^>]*)?>`).exec(xml);
  if (!open) return undefined;
  const close = `</${name}>`;
  let index = open.index + open[0].length;
  let text = "";
  while (index < xml.length) {
    if (xml.startsWith("<![CDATA[", index)) {
      const end = xml.indexOf("]]>", index + 9);
      if (end < 0) return undefined;
      text += xml.slice(index + 9, end);
      index = end + 3;
    } else if (xml.startsWith(close, index)) {
      return text;
    } else if (xml[index] === "<") {
      const end = xml.indexOf(close, index);
      return end < 0 ? undefined : xml.slice(open.index + open[0].length, end);
    } else {
      const next = xml.indexOf("<", index);
      const end = next < 0 ? xml.length : next;
      text += decodeEntities(xml.slice(index, end));
      index = end;
    }
  }
  return undefined;
}
