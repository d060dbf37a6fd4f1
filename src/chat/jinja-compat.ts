// Rewrites of a parsed chat template where @huggingface/jinja (0.5.13) departs from
// Python's Jinja, which transformers renders with; each one was found by rendering a
// real template (test/fixtures/chat-templates) against transformers' output:
//   - `text.strip(chars)` / `lstrip(chars)` / `rstrip(chars)` ignore `chars` and strip
//     whitespace (SmolLM3 writes `content.lstrip("\n")`): the call goes to our
//     Python-exact `__lmscope_strip__(method, text, chars)` instead;
//   - `selectattr(attr, "undefined")` never selects an item that lacks `attr` (Mistral
//     Nemo's role check): it becomes the equivalent `rejectattr(attr, "defined")`, and
//     `rejectattr(attr, "undefined")` becomes `selectattr(attr, "defined")`;
//   - `value | string` fails on an undefined value where Python gives "" (Granite 3.3's
//     document ids), and writes objects and lists as JSON or not at all where Python
//     writes their repr (SmolLM3 lists its tools so): it becomes `__lmscope_str__([value])`,
//     Python's str() (the list keeps the value's int/float type on the way in).
// The parser's nodes are matched by their `type`, which is also how its interpreter
// dispatches; the parity test re-checks every rewrite when the library changes.

import type { Template } from "@huggingface/jinja";
import { ChatTemplateError } from "../errors.js";

type Node = { type: string; [field: string]: unknown };

/** The global functions the rewrites call. */
export const STRIP_FUNCTION = "__lmscope_strip__";
export const STR_FUNCTION = "__lmscope_str__";

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === "object" && typeof (value as { type?: unknown }).type === "string";
}

function identifier(value: string): Node {
  return { type: "Identifier", value };
}

function stringLiteral(value: string): Node {
  return { type: "StringLiteral", value };
}

function rewrite(node: Node): Node {
  if (node.type === "CallExpression") {
    const callee = node["callee"] as Node;
    const args = node["args"] as Node[];
    if (callee.type === "MemberExpression" && callee["computed"] === false && args.length > 0) {
      const method = (callee["property"] as Node)["value"];
      if (method === "strip" || method === "lstrip" || method === "rstrip") {
        return { type: "CallExpression", callee: identifier(STRIP_FUNCTION), args: [stringLiteral(method), callee["object"], ...args] };
      }
    }
  }
  if (node.type === "FilterExpression") {
    const filter = node["filter"] as Node;
    if (filter.type === "CallExpression") {
      const name = (filter["callee"] as Node)["value"];
      const test = (filter["args"] as Node[])[1];
      if ((name === "selectattr" || name === "rejectattr") && test?.type === "StringLiteral" && test["value"] === "undefined") {
        (filter["callee"] as Node)["value"] = name === "selectattr" ? "rejectattr" : "selectattr";
        test["value"] = "defined";
      }
    } else if (filter.type === "Identifier" && filter["value"] === "string") {
      return { type: "CallExpression", callee: identifier(STR_FUNCTION), args: [{ type: "ArrayLiteral", value: [node["operand"]] }] };
    }
  }
  return node;
}

/** Applies the rewrites to every node of the tree below `value` (children first). */
function visit(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = visit(value[i]);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => [visit(k), visit(v)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
    return value;
  }
  if (!isNode(value)) return value;
  for (const key of Object.keys(value)) if (key !== "type") value[key] = visit(value[key]);
  return rewrite(value);
}

/** Rewrites `template`'s parsed program in place. */
export function applyJinjaCompat(template: Template): void {
  visit(template.parsed);
}

const WHITESPACE = /^\s$/u;

/** Python's str.strip / lstrip / rstrip: `chars` null strips whitespace, otherwise any of its characters. */
export function pythonStrip(method: unknown, text: unknown, chars: unknown, origin: string): string {
  if (typeof text !== "string") throw new ChatTemplateError(origin, `${String(method)}() called on a non-string value`);
  if (chars !== null && chars !== undefined && typeof chars !== "string") {
    throw new ChatTemplateError(origin, `${String(method)}() argument must be a string or None`);
  }
  const strip = (c: string): boolean => (typeof chars === "string" ? chars.includes(c) : WHITESPACE.test(c));
  const points = [...text];
  let start = 0;
  let end = points.length;
  if (method !== "rstrip") while (start < end && strip(points[start]!)) start++;
  if (method !== "lstrip") while (end > start && strip(points[end - 1]!)) end--;
  return points.slice(start, end).join("");
}

/** A value as the interpreter holds it: its type name and its JavaScript value. */
interface RuntimeValue {
  type: string;
  value: unknown;
}

const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's repr of a str: single quotes unless the text has ' and no ", escapes for what is not printable. */
function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === quote || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c !== " " && NOT_PRINTABLE.test(c)) {
      out += code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\U${code.toString(16).padStart(8, "0")}`;
    } else out += c;
  }
  return out + quote;
}

/** Python's repr of a float: the shortest round-trip digits, positional for exponents in [-4, 16). */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  const sign = x < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${body}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === "" ? "0" : fraction}`;
}

function pythonRepr(v: RuntimeValue, asStr: boolean): string {
  switch (v.type) {
    case "StringValue":
      return asStr ? (v.value as string) : pythonStringRepr(v.value as string);
    case "IntegerValue":
      return String(v.value);
    case "FloatValue":
      return pythonFloatRepr(v.value as number);
    case "BooleanValue":
      return v.value === true ? "True" : "False";
    case "NullValue":
      return "None";
    case "UndefinedValue":
      return "";
    case "ArrayValue":
      return `[${(v.value as RuntimeValue[]).map((item) => pythonRepr(item, false)).join(", ")}]`;
    case "TupleValue": {
      const items = (v.value as RuntimeValue[]).map((item) => pythonRepr(item, false));
      return `(${items.join(", ")}${items.length === 1 ? "," : ""})`;
    }
    case "ObjectValue":
    case "KeywordArgumentsValue":
    case "NamespaceValue": {
      const entries = [...(v.value as Map<string, RuntimeValue>).entries()].map(([key, item]) => `${pythonStringRepr(key)}: ${pythonRepr(item, false)}`);
      return `{${entries.join(", ")}}`;
    }
    default:
      return String(v.value);
  }
}

/** Python's str() of the one value in `wrapped` (the runtime values of a one-item list). */
export function pythonStr(wrapped: unknown): string {
  const [value] = wrapped as RuntimeValue[];
  return value === undefined ? "" : pythonRepr(value, true);
}
