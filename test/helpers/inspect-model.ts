// A tiny Llama-shaped decoder with the SentencePiece-style test tokenizer, for the
// tests of the pictures, `lmscope inspect` and the inspector server: in memory,
// or written as a model folder (config.json, model.safetensors, tokenizer.json).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createModel, type LanguageModel } from "../../src/language-model.js";
import { sentencePieceJson, sentencePieceTokenizer } from "../unit/tokenizers/fixtures.js";

export const INSPECT_CONFIG = {
  model_type: "llama",
  vocab_size: 279,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 40,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
};

export async function inspectModel(): Promise<LanguageModel> {
  return createModel(INSPECT_CONFIG, { seed: 3, backend: "js", tokenizer: sentencePieceTokenizer() });
}

/** Writes the model as a folder loadModel reads. */
export async function writeInspectModel(dir: string): Promise<void> {
  await (await inspectModel()).save(dir);
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(sentencePieceJson()));
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" }));
}
