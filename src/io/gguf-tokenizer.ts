// The tokenizer a GGUF file carries in its metadata, turned into the tokenizer.json that
// Hugging Face's converters would write for the same vocabulary, then loaded by the
// tokenizer layer (`tokenizerFromJson`).
//
// - `tokenizer.ggml.model = "llama"` (SentencePiece BPE: tokens, scores, token_type):
//   transformers' LlamaConverter (legacy): BPE with byte_fallback and fuse_unk, normalizer
//   Prepend("▁") + Replace(" " → "▁"), no pre-tokenizer, decoder Replace("▁" → " ") +
//   ByteFallback + Fuse + Strip(1 leading space). Merges are derived from the scores as
//   transformers' SentencePieceExtractor does: for every piece, each split into two pieces
//   of the vocabulary (ordered by the ids of the halves), all ranked by the merged piece's
//   score, highest first (a stable sort).
// - `tokenizer.ggml.model = "gpt2"` (byte-level BPE: tokens + merges): GPT2Converter: ByteLevel
//   pre-tokenizer (no prefix space), ByteLevel decoder. `tokenizer.ggml.pre` names the
//   pre-tokenizer regex (gguf-pre-tokenizers.ts: GPT-2's, Llama 3's, Qwen 2's, SmolLM's).
// Tokens of type CONTROL or USER_DEFINED (and the unknown token) become added tokens, special
// for CONTROL/UNKNOWN. BOS/EOS come from `tokenizer.ggml.{bos,eos}_token_id` and are added as
// `tokenizer.ggml.add_{bos,eos}_token` say (llama.cpp's defaults: BOS yes for SPM, no for BPE).

import { ModelFormatError } from "../errors.js";
import type { HfTokenizer } from "../tokenizers/hf-tokenizer.js";
import { tokenizerFromJson, type Json } from "../tokenizers/tokenizer-json.js";
import { ggufBool, ggufNumber, ggufNumberArray, ggufString, ggufStringArray, type GgufValue } from "./gguf.js";
import { KNOWN_PRE_TOKENIZER_NAMES, preTokenizerOfName } from "./gguf-pre-tokenizers.js";

/** llama.cpp `llama_token_type` / gguf `tokenizer.ggml.token_type` values. */
const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

type Metadata = ReadonlyMap<string, GgufValue>;

/** True when the metadata holds a tokenizer this module can convert. */
export function hasGgufTokenizer(metadata: Metadata): boolean {
  return metadata.has("tokenizer.ggml.model") && metadata.has("tokenizer.ggml.tokens");
}

/** The tokenizer.json object (and the tokenizer_config-style settings) for a GGUF file's tokenizer. */
export function ggufTokenizerJson(metadata: Metadata, file: string): { json: Json; config: Record<string, Json> } {
  const model = ggufString(metadata, "tokenizer.ggml.model", file);
  const tokens = ggufStringArray(metadata, "tokenizer.ggml.tokens", file);
  if (model === undefined || tokens === undefined) {
    throw new ModelFormatError(file, `has no tokenizer (needs "tokenizer.ggml.model" and "tokenizer.ggml.tokens")`);
  }
  const types = ggufNumberArray(metadata, "tokenizer.ggml.token_type", file);
  if (types !== undefined && types.length !== tokens.length) {
    throw new ModelFormatError(file, `"tokenizer.ggml.token_type" has ${types.length} entries for ${tokens.length} tokens`);
  }
  const tokenId = (key: string): number | undefined => {
    const id = ggufNumber(metadata, key, file);
    if (id === undefined) return undefined;
    if (!Number.isInteger(id) || id < 0 || id >= tokens.length) {
      throw new ModelFormatError(file, `"${key}" = ${id} is not a token id (vocabulary of ${tokens.length})`);
    }
    return id;
  };
  const bos = tokenId("tokenizer.ggml.bos_token_id");
  const eos = tokenId("tokenizer.ggml.eos_token_id");
  const unk = tokenId("tokenizer.ggml.unknown_token_id");
  const spm = model === "llama";
  if (!spm && model !== "gpt2") {
    throw new ModelFormatError(file, `tokenizer model "${model}" is not supported (supported: llama, gpt2)`);
  }
  const addBos = ggufBool(metadata, "tokenizer.ggml.add_bos_token", file) ?? spm;
  const addEos = ggufBool(metadata, "tokenizer.ggml.add_eos_token", file) ?? false;

  const vocab: Record<string, number> = Object.create(null);
  tokens.forEach((t, id) => {
    if (!(t in vocab)) vocab[t] = id;
  });
  const added = addedTokens(tokens, types, unk);
  const postProcessor = templateProcessing(tokens, addBos ? bos : undefined, addEos ? eos : undefined);
  const config: Record<string, Json> = { add_bos_token: addBos, add_eos_token: addEos };
  if (bos !== undefined) config["bos_token"] = tokens[bos]!;
  if (eos !== undefined) config["eos_token"] = tokens[eos]!;
  if (unk !== undefined) config["unk_token"] = tokens[unk]!;

  if (spm) {
    const scores = ggufNumberArray(metadata, "tokenizer.ggml.scores", file);
    if (scores === undefined || scores.length !== tokens.length) {
      throw new ModelFormatError(file, `"tokenizer.ggml.scores" must hold one score per token (${tokens.length})`);
    }
    const addSpacePrefix = ggufBool(metadata, "tokenizer.ggml.add_space_prefix", file) ?? true;
    const replace = { type: "Replace", pattern: { String: " " }, content: "▁" };
    const json: Json = {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: { type: "Sequence", normalizers: addSpacePrefix ? [{ type: "Prepend", prepend: "▁" }, replace] : [replace] },
      pre_tokenizer: null,
      post_processor: postProcessor ?? null,
      decoder: {
        type: "Sequence",
        decoders: [
          { type: "Replace", pattern: { String: "▁" }, content: " " },
          { type: "ByteFallback" },
          { type: "Fuse" },
          ...(addSpacePrefix ? [{ type: "Strip", content: " ", start: 1, stop: 0 }] : []),
        ],
      },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: unk === undefined ? null : tokens[unk]!,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: true,
        vocab,
        merges: sentencePieceMerges(tokens, scores),
      },
    };
    return { json, config };
  }

  const merges = ggufStringArray(metadata, "tokenizer.ggml.merges", file);
  if (merges === undefined) throw new ModelFormatError(file, `a "gpt2" tokenizer needs "tokenizer.ggml.merges"`);
  const pre = ggufString(metadata, "tokenizer.ggml.pre", file) ?? "default";
  const preTokenizer = preTokenizerOfName(pre);
  if (preTokenizer === undefined) {
    throw new ModelFormatError(file, `pre-tokenizer "tokenizer.ggml.pre" = "${pre}" is not supported (supported: ${KNOWN_PRE_TOKENIZER_NAMES.join(", ")})`);
  }
  const json: Json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor ?? { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
  return { json, config };
}

/**
 * The tokenizer_config.json fields a chat needs, from a GGUF file's metadata: the special
 * tokens' text and the chat templates, `tokenizer.chat_template` (the default) and
 * `tokenizer.chat_template.<name>` (named ones, as llama.cpp's converter writes them).
 */
export function ggufTokenizerConfig(metadata: Metadata, file: string): Record<string, Json> {
  const tokens = ggufStringArray(metadata, "tokenizer.ggml.tokens", file) ?? [];
  const config: Record<string, Json> = {};
  for (const [key, field] of [["bos", "bos_token"], ["eos", "eos_token"], ["unknown", "unk_token"], ["padding", "pad_token"]] as const) {
    const id = ggufNumber(metadata, `tokenizer.ggml.${key}_token_id`, file);
    if (id !== undefined && tokens[id] !== undefined) config[field] = tokens[id]!;
  }
  const named: Json[] = [];
  for (const key of [...metadata.keys()].sort()) {
    if (!key.startsWith("tokenizer.chat_template.")) continue;
    const template = ggufString(metadata, key, file);
    if (template !== undefined) named.push({ name: key.slice("tokenizer.chat_template.".length), template });
  }
  const main = ggufString(metadata, "tokenizer.chat_template", file);
  if (named.length === 0) return main === undefined ? config : { ...config, chat_template: main };
  return { ...config, chat_template: main === undefined ? named : [{ name: "default", template: main }, ...named] };
}

/** The tokenizer of a GGUF file's metadata, ready to encode and decode. */
export function tokenizerFromGguf(metadata: Metadata, file: string): HfTokenizer {
  const { json, config } = ggufTokenizerJson(metadata, file);
  return tokenizerFromJson(json, config, `${file} (GGUF tokenizer metadata)`);
}

function addedTokens(tokens: readonly string[], types: readonly number[] | undefined, unk: number | undefined): Json[] {
  const out: Json[] = [];
  tokens.forEach((content, id) => {
    const type = types?.[id];
    const special = type === TOKEN_TYPE.CONTROL || id === unk || type === TOKEN_TYPE.UNKNOWN;
    if (!special && type !== TOKEN_TYPE.USER_DEFINED) return;
    out.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special });
  });
  return out;
}

/** TemplateProcessing adding BOS/EOS as HF's Llama tokenizer does; undefined when neither is added. */
function templateProcessing(tokens: readonly string[], bos: number | undefined, eos: number | undefined): Json | undefined {
  if (bos === undefined && eos === undefined) return undefined;
  const special = (id: number | undefined, typeId: number): Json[] => (id === undefined ? [] : [{ SpecialToken: { id: tokens[id]!, type_id: typeId } }]);
  const sequence = (name: string, typeId: number): Json => ({ Sequence: { id: name, type_id: typeId } });
  const specialTokens: Record<string, Json> = {};
  for (const id of [bos, eos]) if (id !== undefined) specialTokens[tokens[id]!] = { id: tokens[id]!, ids: [id], tokens: [tokens[id]!] };
  return {
    type: "TemplateProcessing",
    single: [...special(bos, 0), sequence("A", 0), ...special(eos, 0)],
    pair: [...special(bos, 0), sequence("A", 0), ...special(eos, 0), ...special(bos, 1), sequence("B", 1), ...special(eos, 1)],
    special_tokens: specialTokens,
  };
}

/**
 * Merges implied by a SentencePiece vocabulary, as transformers' SentencePieceExtractor
 * derives them: for each piece (in id order), every split into two pieces of the vocabulary
 * (splits between code points, ordered by the halves' ids), then all of them ranked by the
 * merged piece's score, highest first, keeping that order among equal scores.
 */
export function sentencePieceMerges(tokens: readonly string[], scores: readonly number[]): string[] {
  const ids = new Map<string, number>();
  tokens.forEach((t, id) => {
    if (!ids.has(t)) ids.set(t, id);
  });
  const merges: { left: string; right: string; score: number; order: number }[] = [];
  tokens.forEach((piece, id) => {
    if (ids.get(piece) !== id) return; // a duplicate piece: Python's dict keeps one entry
    const chars = Array.from(piece);
    const local: { left: string; right: string; l: number; r: number }[] = [];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join("");
      const right = chars.slice(i).join("");
      const l = ids.get(left);
      const r = ids.get(right);
      if (l !== undefined && r !== undefined) local.push({ left, right, l, r });
    }
    local.sort((a, b) => a.l - b.l || a.r - b.r);
    for (const m of local) merges.push({ left: m.left, right: m.right, score: scores[id]!, order: merges.length });
  });
  merges.sort((a, b) => b.score - a.score || a.order - b.order);
  return merges.map((m) => `${m.left} ${m.right}`);
}
