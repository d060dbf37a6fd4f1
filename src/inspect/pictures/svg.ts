// A small SVG writer: elements as strings with every attribute and text escaped,
// so that token text — any string a tokenizer produces, `<script>` included —
// is always text in the picture, never markup. Characters XML forbids (most C0
// controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD.

export type Attributes = Record<string, string | number | undefined>;

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe inside an XML element or a quoted attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function attributeText(attributes: Attributes): string {
  let out = "";
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeXml(typeof value === "number" ? formatNumber(value) : value)}"`;
  }
  return out;
}

/** Numbers with at most two decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** An element; children are markup already written by this module. */
export function element(name: string, attributes: Attributes = {}, ...children: string[]): string {
  const body = children.join("");
  return body === "" ? `<${name}${attributeText(attributes)}/>` : `<${name}${attributeText(attributes)}>${body}</${name}>`;
}

/** A text element holding `text` (escaped). */
export function text(content: string, attributes: Attributes = {}): string {
  return `<text${attributeText(attributes)}>${escapeXml(content)}</text>`;
}

/** A tooltip (escaped). */
export function title(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}

/** The whole document: white background, sans-serif text. */
export function svgDocument(width: number, height: number, ...children: string[]): string {
  return element(
    "svg",
    { xmlns: "http://www.w3.org/2000/svg", width, height, viewBox: `0 0 ${formatNumber(width)} ${formatNumber(height)}`, "font-family": "sans-serif", "font-size": 12 },
    element("rect", { width, height, fill: "white" }),
    ...children,
  ) + "\n";
}
