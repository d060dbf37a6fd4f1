// POST /v1/embeddings: sentence embeddings of an encoder model (BERT family), the
// mean of its last hidden states over the real tokens (EncoderModel.embed), in
// OpenAI's list shape, as float arrays or — encoding_format "base64", which the
// official clients ask for by default — the little-endian float32 bytes in base64.
// Inputs are text (a string or a list of strings); one longer than the encoder's
// positions is a 400 with the counts, never cut. A decoder model is refused: its
// final hidden states are not trained as sentence embeddings.

import type { ServerResponse } from "node:http";
import { invalidRequest } from "./api-error.js";
import { sendJson } from "./http-io.js";
import { describeValue, RequestFields } from "./request-fields.js";
import { requireModel, type ServedModel } from "./served-model.js";

/** Texts one request may embed. */
const MAX_INPUTS = 256;

function readInputs(fields: RequestFields): string[] {
  const value = fields.raw("input");
  if (value === undefined) throw invalidRequest(`"input" is required`, "input", "missing_required_parameter");
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) throw invalidRequest(`"input" must be a string or a non-empty array of strings, got ${describeValue(value)}`, "input", "invalid_type");
  if (list.length > MAX_INPUTS) throw invalidRequest(`"input" has ${list.length} texts; at most ${MAX_INPUTS} are allowed`, "input", "invalid_value");
  return list.map((text: unknown, i) => {
    if (typeof text !== "string") {
      const hint = typeof text === "number" || Array.isArray(text) ? " (token ids are not accepted here: send the text)" : "";
      throw invalidRequest(`"input[${i}]" must be a string, got ${describeValue(text)}${hint}`, "input", "invalid_type");
    }
    if (text === "") throw invalidRequest(`"input[${i}]" is empty`, "input", "invalid_value");
    return text;
  });
}

function base64Floats(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString("base64");
}

export async function answerEmbeddings(served: ServedModel, body: unknown, response: ServerResponse): Promise<void> {
  const fields = RequestFields.of(body);
  requireModel(served, fields.requiredString("model", 1000));
  fields.string("user");
  const encoding = fields.string("encoding_format") ?? "float";
  if (encoding !== "float" && encoding !== "base64") throw invalidRequest(`"encoding_format" must be "float" or "base64", got ${JSON.stringify(encoding)}`, "encoding_format", "invalid_value");
  const inputs = readInputs(fields);
  if (served.kind !== "encoder") {
    throw invalidRequest(
      `/v1/embeddings needs an encoder model (BERT, RoBERTa, DistilBERT); "${served.name}" is a decoder — start another server with an encoder model for embeddings`,
      "model",
      "model_not_supported",
    );
  }
  const hidden = served.model.config.hiddenSize;
  const dimensions = fields.number("dimensions", { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
  if (dimensions !== undefined && dimensions !== hidden) {
    throw invalidRequest(`"dimensions" must be the model's ${hidden} (embeddings are not shortened), got ${dimensions}`, "dimensions", "invalid_value");
  }
  const tokenizer = served.model.tokenizer;
  let promptTokens = 0;
  inputs.forEach((text, i) => {
    const count = tokenizer.encode(text).length;
    if (count > served.contextLength) {
      throw invalidRequest(`"input[${i}]" has ${count} tokens, more than the ${served.contextLength} the model reads`, "input", "context_length_exceeded");
    }
    promptTokens += count;
  });
  const vectors = await served.model.embed(inputs, { pooling: "mean" });
  sendJson(response, 200, {
    object: "list",
    data: vectors.map((v, index) => ({ object: "embedding", index, embedding: encoding === "base64" ? base64Floats(v) : Array.from(v) })),
    model: served.name,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}
