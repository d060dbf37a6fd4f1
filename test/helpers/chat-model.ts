// A tiny random Llama with a byte-level BPE tokenizer that knows ChatML's special tokens,
// for chat tests without files. `script` steers what the model says: the real network
// runs (filling the KV cache), then the logits are overwritten so that greedy decoding
// follows the scripted ids; `forwarded` counts the ids each forward call received.
import { trainByteLevelBpe, tokenizerFromJson, type Json } from "../../src/tokenizers/index.js";
import { createModel, type LanguageModel } from "../../src/language-model.js";
import type { HfTokenizer } from "../../src/tokenizers/hf-tokenizer.js";
import { LLAMA_CONFIG } from "./random-models.js";

export const CHATML =
  "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CORPUS = [
  "hello there, how are you today?",
  "I am fine, thank you. The weather is nice.",
  "user assistant system: tell me a story about a cat and a dog.",
  "Once upon a time there was a little cat who liked the sun.",
];

/** tokenizer.json of a byte-level BPE that knows ChatML's special tokens. */
export function chatTokenizerJson(): Json {
  return trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] });
}

/** The tokenizer_config.json beside it (ids 0-2: <|endoftext|>, <|im_start|>, <|im_end|>). */
export const CHAT_TOKENIZER_CONFIG = { eos_token: "<|im_end|>", pad_token: "<|endoftext|>" };

export function chatTokenizer(): HfTokenizer {
  return tokenizerFromJson(chatTokenizerJson(), CHAT_TOKENIZER_CONFIG, "chat-test tokenizer.json");
}

export interface ScriptedModel {
  model: LanguageModel;
  tokenizer: HfTokenizer;
  /** Ids the model will say next, one per step (empty: the random network decides). */
  script: number[];
  /** Ids received by each forward call. */
  forwarded: number[][];
}

export async function scriptedChatModel(contextLength = 128): Promise<ScriptedModel> {
  const tokenizer = chatTokenizer();
  const config = { ...LLAMA_CONFIG, vocab_size: tokenizer.vocabSize, max_position_embeddings: contextLength, bos_token_id: 0, eos_token_id: 2 };
  const model = await createModel(config, { backend: "js", seed: 3, tokenizer });
  const scripted: ScriptedModel = { model, tokenizer, script: [], forwarded: [] };
  const network = model.network;
  const forward = network.forward.bind(network);
  network.forward = (ids, cache, logits, rows) => {
    forward(ids, cache, logits, rows);
    scripted.forwarded.push(Array.from(ids));
    const next = scripted.script.shift();
    if (next !== undefined && rows === "last") logits[next] = 1e9;
  };
  return scripted;
}
