// Chat messages as Hugging Face transformers' apply_chat_template takes them: a
// role, a content (text, a list of parts such as { type: "text", text }, or null
// beside tool calls) and whatever further fields a template reads (tool_calls,
// reasoning_content, name, …). Everything is plain JSON, so a conversation can be
// saved and restored as text; values from outside are checked field by field.

import { InputError } from "../errors.js";

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface ChatMessage {
  /** "system", "user", "assistant", "tool", … (what the template expects). */
  readonly role: string;
  /** The text; some templates also take a list of parts, or null / nothing beside tool calls. */
  readonly content?: JsonValue;
  readonly [field: string]: JsonValue | undefined;
}

const MAX_DEPTH = 64;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `a string` : typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

/** `value` if it is JSON (finite numbers, plain objects and arrays, bounded depth); otherwise an InputError naming `path`. */
export function checkJson(value: unknown, path: string, depth = 0): JsonValue {
  if (depth > MAX_DEPTH) throw new InputError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InputError(`${path}: expected a finite number, got ${value}`);
    return value;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJson(item, `${path}[${i}]`, depth + 1));
    return value as JsonValue[];
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) if (item !== undefined) checkJson(item, `${path}.${key}`, depth + 1); // undefined: absent, as JSON.stringify reads it
    return value as { [key: string]: JsonValue };
  }
  throw new InputError(`${path}: expected a JSON value, got ${describe(value)}`);
}

/** One message checked: an object with a non-empty string `role` and JSON fields (a missing `content` stays missing, as templates test for it). */
export function checkMessage(value: unknown, path: string): ChatMessage {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(`${path}: expected a message object { role, content }, got ${describe(value)}`);
  }
  const fields = checkJson(value, path) as { [key: string]: JsonValue };
  const role = fields["role"];
  if (typeof role !== "string" || role === "") throw new InputError(`${path}.role: expected a non-empty string, got ${describe(role)}`);
  return { ...fields, role };
}

/** A list of messages checked one by one (copies, so later changes by the caller do not reach the session). */
export function checkMessages(value: unknown, path: string): ChatMessage[] {
  if (!Array.isArray(value)) throw new InputError(`${path}: expected an array of messages, got ${describe(value)}`);
  return value.map((m, i) => structuredClone(checkMessage(m, `${path}[${i}]`)));
}
