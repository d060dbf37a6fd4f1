// A Hugging Face model folder's tokenizer as GGUF `tokenizer.*` metadata, following
// llama.cpp's convert_hf_to_gguf.py (_set_vocab_sentencepiece, _set_vocab_gpt2,
// get_vocab_base) and gguf-py's SpecialVocab:
//
// - SentencePiece ("llama"): from tokenizer.model when the folder has one (pieces, scores
//   and types as sentencepiece reports them), else from a byte-fallback BPE tokenizer.json
//   with scores that rank each piece by the first merge that makes it (llama.cpp's SPM
//   tokenizer merges the highest-scoring pair, which then follows the BPE merge order;
//   llama.cpp's own tokenizer.json path gives every piece the same score). Added tokens
//   (tokenizer_config's added_tokens_decoder, tokenizer.json's added_tokens) get score
//   −1000 and type CONTROL (special, or looking special) or USER_DEFINED.
//   `tokenizer.ggml.add_space_prefix` is false when the model adds no dummy prefix (Gemma).
// - byte-level BPE ("gpt2"): tokens, token types and merges of tokenizer.json, and the
//   pre-tokenizer's llama.cpp name (gguf-pre-tokenizers.ts). A tokenizer_config whose
//   tokenizer_class is GPT2Tokenizer takes this path even beside a tokenizer.model (Phi-4).
// - The token list is padded to config.json's vocab_size with "[PAD<id>]" tokens of type
//   UNUSED, so that it matches the embedding's rows as llama.cpp requires.
// - Special tokens: bos/eos/unk/sep/pad/mask ids from tokenizer_config's `<kind>_token`
//   (looked up among tokenizer.json's added tokens), else config.json's `<kind>_token_id`;
//   add_bos/add_eos from the post-processor's template, overridden by tokenizer_config's
//   add_bos_token/add_eos_token; the chat template(s).

import { stat } from "node:fs/promises";
import { join } from "node:path";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { parseSentencePieceModel, type SentencePieceModel } from "../tokenizers/sentencepiece-model.js";
import type { PieceKind } from "../tokenizers/unigram.js";
import { readWholeFile } from "./file-bytes.js";
import { readJsonObject } from "./json-file.js";
import type { GgufValue } from "./gguf.js";
import { KNOWN_PRE_TOKENIZER_NAMES, nameOfPreTokenizer } from "./gguf-pre-tokenizers.js";
import { readTokenizerConfig } from "./tokenizer-config.js";

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

const PIECE_TYPE: Readonly<Record<PieceKind, number>> = { normal: NORMAL, user: NORMAL, unknown: UNKNOWN, control: CONTROL, unused: UNUSED, byte: BYTE };

/** Tokenizer files larger than this are refused before reading (real tokenizer.json files stay under ~35 MB). */
const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;

const SPECIAL_KINDS = ["bos", "eos", "unk", "sep", "pad", "mask"] as const;
type SpecialKind = (typeof SPECIAL_KINDS)[number];
const SPECIAL_ID_KEY: Readonly<Record<SpecialKind, string>> = {
  bos: "tokenizer.ggml.bos_token_id",
  eos: "tokenizer.ggml.eos_token_id",
  unk: "tokenizer.ggml.unknown_token_id",
  sep: "tokenizer.ggml.seperator_token_id", // sic: gguf's spelling
  pad: "tokenizer.ggml.padding_token_id",
  mask: "tokenizer.ggml.mask_token_id",
};

const u32 = (value: number): GgufValue => ({ type: "uint32", value });
const str = (value: string): GgufValue => ({ type: "string", value });
const bool = (value: boolean): GgufValue => ({ type: "bool", value });
const strings = (value: readonly string[]): GgufValue => ({ type: "array", elementType: "string", value });

export interface VocabOptions {
  /** config.json's vocab_size (the embedding's rows): the token list is padded to it. */
  readonly vocabSize: number;
  /** llama.cpp's LlamaModel rule: a vocabulary of 49152 (Granite, SmolLM) adds no BOS. */
  readonly llamaFamily: boolean;
}

export interface VocabMetadata {
  readonly entries: [string, GgufValue][];
  readonly warnings: string[];
}

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

interface TokenList {
  tokens: string[];
  types: number[];
  scores?: number[];
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** llama.cpp's does_token_look_special: tokens some models forget to mark special. */
function looksSpecial(token: string): boolean {
  return (
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(token) ||
    (token.startsWith("<|") && token.endsWith("|>")) ||
    (token.startsWith("<｜") && token.endsWith("｜>")) ||
    (token.startsWith("<unused") && token.endsWith(">"))
  );
}

/**
 * The `tokenizer.*` metadata of the tokenizer in `dir`, or null when the folder has no
 * tokenizer.json or tokenizer.model. `modelConfig` is config.json (special token ids).
 */
export async function hfVocabMetadata(dir: string, modelConfig: JsonObject, options: VocabOptions): Promise<VocabMetadata | null> {
  const jsonPath = join(dir, "tokenizer.json");
  const modelPath = join(dir, "tokenizer.model");
  const tokenizer = (await isFile(jsonPath)) ? await readJsonObject(jsonPath, MAX_TOKENIZER_BYTES) : null;
  const hasSpModel = await isFile(modelPath);
  if (tokenizer === null && !hasSpModel) return null;
  const config = (await readTokenizerConfig(dir)) ?? {};
  const warnings: string[] = [];
  const added = addedTokens(tokenizer, jsonPath);

  const entries: [string, GgufValue][] = [];
  let list: TokenList;
  let spm: boolean;
  if (hasSpModel && config["tokenizer_class"] !== "GPT2Tokenizer") {
    const model = parseSentencePieceModel(await readWholeFile(modelPath, MAX_TOKENIZER_BYTES), modelPath);
    list = sentencePieceTokens(model, options.vocabSize, modelPath, warnings);
    addTokensAsSentencePiece(list, config, added, options.vocabSize, warnings);
    spm = true;
    entries.push(["tokenizer.ggml.model", str("llama")], ["tokenizer.ggml.pre", str("default")]);
    if (!model.normalizer.addDummyPrefix) entries.push(["tokenizer.ggml.add_space_prefix", bool(false)]);
  } else {
    const model = tokenizer?.["model"];
    if (tokenizer === null || !isObject(model) || model["type"] !== "BPE") {
      throw new ModelFormatError(jsonPath, `only BPE tokenizers can be written to GGUF (got ${isObject(model) ? JSON.stringify(model["type"]) : "no model"})`);
    }
    spm = model["byte_fallback"] === true;
    if (spm) {
      list = byteFallbackTokens(model, added, options.vocabSize, jsonPath);
      entries.push(["tokenizer.ggml.model", str("llama")], ["tokenizer.ggml.pre", str("default")]);
      if (!addsDummyPrefix(tokenizer)) entries.push(["tokenizer.ggml.add_space_prefix", bool(false)]);
    } else {
      const pre = nameOfPreTokenizer(tokenizer["pre_tokenizer"]);
      if (pre === undefined) {
        throw new ModelFormatError(
          jsonPath,
          `its pre_tokenizer ${JSON.stringify(tokenizer["pre_tokenizer"])} matches none of llama.cpp's pre-tokenizers that lmscope writes (${KNOWN_PRE_TOKENIZER_NAMES.join(", ")})`,
        );
      }
      list = byteLevelTokens(model, added, options.vocabSize, jsonPath);
      entries.push(
        ["tokenizer.ggml.model", str("gpt2")],
        ["tokenizer.ggml.pre", str(pre)],
      );
    }
  }
  entries.push(["tokenizer.ggml.tokens", strings(list.tokens)]);
  if (list.scores !== undefined) entries.push(["tokenizer.ggml.scores", { type: "array", elementType: "float32", value: list.scores }]);
  entries.push(["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: list.types }]);
  if (!spm) entries.push(["tokenizer.ggml.merges", strings(byteLevelMerges(tokenizer!["model"] as JsonObject, jsonPath))]);
  entries.push(...specialTokens(tokenizer, config, modelConfig, added, spm ? list.tokens.length : undefined, options));
  entries.push(...chatTemplates(config["chat_template"]));
  return { entries, warnings };
}

// ─── token lists ──────────────────────────────────────────────────────────────

function addedTokens(tokenizer: JsonObject | null, file: string): AddedToken[] {
  const raw = tokenizer?.["added_tokens"];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ModelFormatError(file, `"added_tokens" must be a list`);
  return raw.map((t, i) => {
    if (!isObject(t) || !Number.isInteger(t["id"]) || (t["id"] as number) < 0 || typeof t["content"] !== "string") {
      throw new ModelFormatError(file, `added_tokens[${i}] must have an integer "id" ≥ 0 and a string "content"`);
    }
    return { id: t["id"] as number, content: t["content"], special: t["special"] === true };
  });
}

function padded(vocabSize: number, withScores: boolean): TokenList {
  const tokens = Array.from({ length: vocabSize }, (_, id) => `[PAD${id}]`);
  const types: number[] = new Array(vocabSize).fill(UNUSED);
  return withScores ? { tokens, types, scores: new Array(vocabSize).fill(-10000) } : { tokens, types };
}

function sentencePieceTokens(model: SentencePieceModel, vocabSize: number, file: string, warnings: string[]): TokenList {
  if (model.modelType !== "bpe") throw new ModelFormatError(file, `a ${model.modelType} SentencePiece model cannot be written as llama.cpp's "llama" (BPE) vocabulary`);
  const list = padded(vocabSize, true);
  if (model.pieces.length > vocabSize) warnings.push(`${file}: pieces from id ${vocabSize} on are left out (config.json's vocab_size is ${vocabSize})`);
  model.pieces.slice(0, vocabSize).forEach((p, id) => {
    list.tokens[id] = p.piece;
    list.scores![id] = p.score;
    list.types[id] = PIECE_TYPE[p.kind];
  });
  return list;
}

/** llama.cpp's _create_vocab_sentencepiece: added tokens over the SentencePiece pieces. */
function addTokensAsSentencePiece(list: TokenList, config: JsonObject, added: readonly AddedToken[], vocabSize: number, warnings: string[]): void {
  const fromConfig: AddedToken[] = [];
  const decoder = config["added_tokens_decoder"];
  if (isObject(decoder)) {
    for (const [id, data] of Object.entries(decoder)) {
      if (isObject(data) && typeof data["content"] === "string" && /^\d+$/.test(id)) fromConfig.push({ id: Number(id), content: data["content"], special: data["special"] === true });
    }
  }
  for (const t of [...fromConfig, ...added]) {
    if (t.id >= vocabSize) {
      warnings.push(`added token ${JSON.stringify(t.content)} (id ${t.id}) is left out: config.json's vocab_size is ${vocabSize}`);
      continue;
    }
    const control = t.special || looksSpecial(t.content);
    list.tokens[t.id] = control ? t.content : t.content.replaceAll("▁", " ");
    list.types[t.id] = control ? CONTROL : USER_DEFINED;
    list.scores![t.id] = -1000;
  }
}

/** The vocabulary of a tokenizer.json BPE model as ids, checked against the embedding's rows. */
function bpeVocab(model: JsonObject, vocabSize: number, file: string): [string, number][] {
  const vocab = model["vocab"];
  if (!isObject(vocab)) throw new ModelFormatError(file, `model.vocab must be an object of token → id`);
  const entries = Object.entries(vocab) as [string, number][];
  for (const [token, id] of entries) {
    if (!Number.isInteger(id) || id < 0) throw new ModelFormatError(file, `model.vocab: token ${JSON.stringify(token)} has id ${String(id)}, not an integer ≥ 0`);
    if (id >= vocabSize) throw new ModelFormatError(file, `model.vocab: token ${JSON.stringify(token)} has id ${id}, past config.json's vocab_size ${vocabSize}`);
  }
  return entries;
}

function checkAddedIds(added: readonly AddedToken[], vocabSize: number, file: string): void {
  const bad = added.find((t) => t.id >= vocabSize);
  if (bad !== undefined) throw new ModelFormatError(file, `added token ${JSON.stringify(bad.content)} has id ${bad.id}, past config.json's vocab_size ${vocabSize}`);
}

/** A byte-fallback BPE tokenizer.json (Llama/Gemma style) as SentencePiece tokens, scores and types. */
function byteFallbackTokens(model: JsonObject, added: readonly AddedToken[], vocabSize: number, file: string): TokenList {
  const list = padded(vocabSize, true);
  for (const [token, id] of bpeVocab(model, vocabSize, file)) {
    list.tokens[id] = token;
    list.types[id] = /^<0x[0-9A-F]{2}>$/.test(token) ? BYTE : NORMAL;
  }
  checkAddedIds(added, vocabSize, file);
  for (const t of added) {
    list.tokens[t.id] = t.content;
    list.types[t.id] = t.special || looksSpecial(t.content) ? CONTROL : USER_DEFINED;
  }
  const unk = model["unk_token"];
  if (typeof unk === "string") {
    const id = list.tokens.indexOf(unk);
    if (id >= 0) list.types[id] = UNKNOWN;
  }
  const merges = mergeStrings(model, file);
  const rank = new Map<string, number>();
  merges.forEach((m, i) => {
    const merged = m.replace(" ", "");
    if (!rank.has(merged)) rank.set(merged, i);
  });
  list.scores = list.tokens.map((t, id) =>
    list.types[id] === NORMAL ? (rank.has(t) ? -rank.get(t)! : -merges.length - 1) : list.types[id] === UNUSED ? -10000 : list.types[id] === BYTE ? 0 : -1000,
  );
  return list;
}

/** A byte-level BPE tokenizer.json (GPT-2 style) as llama.cpp's get_vocab_base lists it. */
function byteLevelTokens(model: JsonObject, added: readonly AddedToken[], vocabSize: number, file: string): TokenList {
  const list = padded(vocabSize, false);
  for (const [token, id] of bpeVocab(model, vocabSize, file)) {
    list.tokens[id] = token;
    list.types[id] = NORMAL;
  }
  checkAddedIds(added, vocabSize, file);
  for (const t of added) {
    const control = t.special || looksSpecial(t.content);
    list.tokens[t.id] = control ? t.content : t.content.replaceAll("▁", " ");
    list.types[t.id] = control ? CONTROL : USER_DEFINED;
  }
  return list;
}

/** tokenizer.json's merges as "left right" strings (either spelling of the file). */
function mergeStrings(model: JsonObject, file: string): string[] {
  const raw = model["merges"] ?? [];
  if (!Array.isArray(raw)) throw new ModelFormatError(file, "model.merges must be a list");
  return raw.map((m, i) => {
    if (typeof m === "string") return m;
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return `${m[0]} ${m[1]}`;
    throw new ModelFormatError(file, `model.merges[${i}] must be "left right" or [left, right]`);
  });
}

/** Merges for `tokenizer.ggml.merges`: a space inside a part is written as U+0120, as gguf-py does. */
function byteLevelMerges(model: JsonObject, file: string): string[] {
  const raw = (model["merges"] ?? []) as unknown[];
  const escape = (part: string): string => part.replaceAll(" ", "\u0120");
  return mergeStrings(model, file).map((m, i) => (Array.isArray(raw[i]) ? `${escape((raw[i] as string[])[0]!)} ${escape((raw[i] as string[])[1]!)}` : m));
}

/** Whether a byte-fallback tokenizer.json puts "▁" before the text (Llama's Prepend / Metaspace), which llama.cpp calls add_space_prefix. */
function addsDummyPrefix(tokenizer: JsonObject): boolean {
  const visit = (node: unknown): boolean => {
    if (!isObject(node)) return false;
    if (node["type"] === "Prepend") return node["prepend"] === "▁";
    if (node["type"] === "Metaspace") return node["prepend_scheme"] === undefined ? node["add_prefix_space"] !== false : node["prepend_scheme"] !== "never";
    const children = node["normalizers"] ?? node["pretokenizers"];
    return Array.isArray(children) && children.some(visit);
  };
  return visit(tokenizer["normalizer"]) || visit(tokenizer["pre_tokenizer"]);
}

// ─── special tokens ───────────────────────────────────────────────────────────

/** The content of a tokenizer_config `<kind>_token` entry (a string or {content}). */
function contentOf(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  return isObject(entry) && typeof entry["content"] === "string" ? entry["content"] : undefined;
}

/** gguf-py SpecialVocab: special ids and whether BOS/EOS are added. */
function specialTokens(
  tokenizer: JsonObject | null,
  config: JsonObject,
  modelConfig: JsonObject,
  added: readonly AddedToken[],
  vocabLimit: number | undefined,
  options: VocabOptions,
): [string, GgufValue][] {
  const contents: Partial<Record<SpecialKind | "cls", string>> = {};
  for (const kind of [...SPECIAL_KINDS, "cls"] as const) {
    const c = contentOf(config[`${kind}_token`]);
    if (c !== undefined) contents[kind] = c;
  }
  contents.bos ??= contents.cls;
  const addFlags: Partial<Record<"bos" | "eos", boolean>> = {};
  const processor = tokenizer?.["post_processor"];
  const processors = isObject(processor) ? (Array.isArray(processor["processors"]) ? processor["processors"] : [processor]) : [];
  for (const p of processors) {
    if (!isObject(p)) continue;
    if (p["type"] === "RobertaProcessing") {
      addFlags.bos = true;
      addFlags.eos = true;
    } else if (p["type"] === "TemplateProcessing" && Array.isArray(p["single"]) && p["single"].length > 1) {
      const special = (item: unknown): string | undefined => {
        const s = isObject(item) ? item["SpecialToken"] : undefined;
        return isObject(s) && typeof s["id"] === "string" ? s["id"] : undefined;
      };
      const first = special(p["single"][0]);
      const last = special(p["single"][p["single"].length - 1]);
      if (first !== undefined) {
        contents.bos ??= first;
        addFlags.bos = first === contents.bos || first === contents.cls;
      }
      if (last !== undefined) {
        contents.eos ??= last;
        addFlags.eos = last === contents.eos;
      }
    }
  }
  for (const kind of ["bos", "eos"] as const) {
    const flag = config[`add_${kind}_token`];
    if (typeof flag === "boolean") addFlags[kind] = flag;
  }
  if (options.llamaFamily && options.vocabSize === 49152) addFlags.bos = false;

  const ids = new Map<SpecialKind, number>();
  const usable = (id: unknown): id is number => Number.isInteger(id) && (id as number) >= 0 && (vocabLimit === undefined || (id as number) < vocabLimit);
  if (tokenizer !== null) {
    for (const kind of SPECIAL_KINDS) {
      const id = contents[kind] === undefined ? undefined : added.find((t) => t.content === contents[kind])?.id;
      if (usable(id)) ids.set(kind, id);
    }
  }
  for (const kind of SPECIAL_KINDS) {
    const id = modelConfig[`${kind}_token_id`];
    if (!ids.has(kind) && usable(id)) ids.set(kind, id);
  }
  const entries: [string, GgufValue][] = SPECIAL_KINDS.filter((k) => ids.has(k)).map((k) => [SPECIAL_ID_KEY[k], u32(ids.get(k)!)]);
  if (addFlags.bos !== undefined) entries.push(["tokenizer.ggml.add_bos_token", bool(addFlags.bos)]);
  if (addFlags.eos !== undefined) entries.push(["tokenizer.ggml.add_eos_token", bool(addFlags.eos)]);
  return entries;
}

/** gguf-py add_chat_template: a string is the default; a list of {name, template} names the others. */
function chatTemplates(value: unknown): [string, GgufValue][] {
  if (typeof value === "string") return [["tokenizer.chat_template", str(value)]];
  if (!Array.isArray(value)) return [];
  const entries: [string, GgufValue][] = [];
  const names: string[] = [];
  let main: string | undefined;
  for (const choice of value) {
    if (!isObject(choice) || typeof choice["template"] !== "string") continue;
    const name = String(choice["name"] ?? "").replace(/[^A-Za-z0-9]/g, "_");
    if (name === "") continue;
    if (name === "default") main = choice["template"];
    else {
      names.push(name);
      entries.push([`tokenizer.chat_template.${name}`, str(choice["template"])]);
    }
  }
  if (names.length > 0) entries.push(["tokenizer.chat_templates", strings(names)]);
  if (main !== undefined) entries.push(["tokenizer.chat_template", str(main)]);
  return entries;
}
