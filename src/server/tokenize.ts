// POST /tokenize and POST /detokenize in llama.cpp's server shapes:
//   /tokenize   { content, add_special = false, with_pieces = false } → { tokens: [id…] }
//               or, with pieces, { tokens: [{ id, piece }…] } (a piece that is not
//               whole UTF-8 is given as its byte values)
//   /detokenize { tokens: [id…] } → { content }

import type { ServerResponse } from "node:http";
import { invalidRequest } from "./api-error.js";
import { sendJson } from "./http-io.js";
import { tokenSpeller } from "./logprobs.js";
import { describeValue, RequestFields } from "./request-fields.js";
import type { ServedModel } from "./served-model.js";

export function answerTokenize(served: ServedModel, body: unknown, response: ServerResponse): void {
  const fields = RequestFields.of(body);
  const content = fields.string("content");
  if (content === undefined) throw invalidRequest(`"content" is required`, "content", "missing_required_parameter");
  const addSpecial = fields.boolean("add_special") ?? false;
  const withPieces = fields.boolean("with_pieces") ?? false;
  const tokenizer = served.model.tokenizer;
  const ids = tokenizer.encode(content, { addSpecialTokens: addSpecial });
  if (!withPieces) {
    sendJson(response, 200, { tokens: ids });
    return;
  }
  const spell = tokenSpeller(tokenizer);
  sendJson(response, 200, {
    tokens: ids.map((id) => {
      const { token, bytes } = spell(id);
      return { id, piece: token.startsWith("bytes:") ? bytes : token };
    }),
  });
}

export function answerDetokenize(served: ServedModel, body: unknown, response: ServerResponse): void {
  const fields = RequestFields.of(body);
  const tokens = fields.raw("tokens");
  if (tokens === undefined) throw invalidRequest(`"tokens" is required`, "tokens", "missing_required_parameter");
  if (!Array.isArray(tokens)) throw invalidRequest(`"tokens" must be an array of token ids, got ${describeValue(tokens)}`, "tokens", "invalid_type");
  const tokenizer = served.model.tokenizer;
  const vocab = tokenizer.vocabSize;
  tokens.forEach((id: unknown, i) => {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0 || id >= vocab) {
      throw invalidRequest(`"tokens[${i}]" must be a token id from 0 to ${vocab - 1}, got ${describeValue(id)}`, "tokens", "invalid_value");
    }
  });
  sendJson(response, 200, { content: tokenizer.decode(tokens as number[]) });
}
