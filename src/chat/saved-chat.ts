// A saved conversation: { "format": "lmscope-chat", "version": 1, "messages": [...] },
// the messages as the templates take them. Restoring checks every field and names the
// first one that is wrong, so a hand-edited or truncated file gets a clear error.

import { InputError } from "../errors.js";
import { checkMessages, type ChatMessage } from "./messages.js";

export interface SavedChat {
  readonly format: "lmscope-chat";
  readonly version: 1;
  readonly messages: ChatMessage[];
}

/** The conversation in `saved` (a SavedChat, or its JSON text), checked. */
export function restoreChat(saved: unknown): SavedChat {
  let value = saved;
  if (typeof saved === "string") {
    try {
      value = JSON.parse(saved);
    } catch (error) {
      throw new InputError(`saved chat: not valid JSON (${(error as Error).message})`);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InputError("saved chat: expected an object { format, version, messages }");
  const { format, version, messages } = value as { format?: unknown; version?: unknown; messages?: unknown };
  if (format !== "lmscope-chat") throw new InputError(`saved chat: "format" must be "lmscope-chat", got ${JSON.stringify(format) ?? "nothing"}`);
  if (version !== 1) throw new InputError(`saved chat: "version" ${JSON.stringify(version) ?? "is missing"}; this lmscope reads version 1`);
  return { format, version, messages: checkMessages(messages, "saved chat: messages") };
}
