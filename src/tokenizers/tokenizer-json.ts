// Reads HF tokenizer.json (the format of huggingface/tokenizers, version 1.0)
// plus the special-token settings of tokenizer_config.json, checking every
// field it uses. A model, normalizer, pre-tokenizer, post-processor or decoder
// type we do not implement is an error naming the type, never a silent guess.
import { ModelFormatError } from "../errors.js";
import { AddedVocabulary, type AddedToken } from "./added-tokens.js";
import { BpeModel } from "./bpe.js";
import type { DecoderSpec } from "./decoders.js";
import { HfTokenizer, type SpecialTokenIds } from "./hf-tokenizer.js";
import type { TokenizerModel } from "./model.js";
import { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import { PrecompiledNormalizer } from "./precompiled-normalizer.js";
import {
  BertNormalizer,
  LowercaseNormalizer,
  PrependNormalizer,
  ReplaceNormalizer,
  SequenceNormalizer,
  StripAccentsNormalizer,
  StripNormalizer,
  UnicodeNormalizer,
  type Normalizer,
} from "./normalizers.js";
import {
  bertProcessor,
  bosEosProcessor,
  IdentityProcessor,
  robertaProcessor,
  SequenceProcessor,
  TemplateProcessor,
  type PostProcessor,
  type TemplatePiece,
} from "./post-processor.js";
import {
  BertPreTokenizer,
  ByteLevelPreTokenizer,
  DigitsPreTokenizer,
  MetaspacePreTokenizer,
  PunctuationPreTokenizer,
  SequencePreTokenizer,
  SplitPreTokenizer,
  WhitespacePreTokenizer,
  WhitespaceSplitPreTokenizer,
  type PrependScheme,
  type PreTokenizer,
  type SplitBehavior,
} from "./pretokenizers.js";
import { UnigramModel, type UnigramPiece } from "./unigram.js";
import { WordPieceModel } from "./wordpiece.js";

/** A parsed JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The tokenizer_config.json fields lmscope reads. */
export interface TokenizerConfig {
  bos_token?: Json;
  eos_token?: Json;
  pad_token?: Json;
  unk_token?: Json;
  add_bos_token?: Json;
  add_eos_token?: Json;
  clean_up_tokenization_spaces?: Json;
  model_max_length?: Json;
  [key: string]: Json | undefined;
}

/** Field access that reports what was wrong, with the file name and the JSON path. */
export class JsonReader {
  constructor(readonly file: string) {}

  fail(path: string, detail: string): never {
    throw new ModelFormatError(this.file, `${path}: ${detail}`);
  }

  object(value: Json | undefined, path: string): JsonObject {
    if (value === null || typeof value !== "object" || Array.isArray(value)) this.fail(path, `expected an object, got ${describe(value)}`);
    return value;
  }

  array(value: Json | undefined, path: string): Json[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describe(value)}`);
    return value;
  }

  string(value: Json | undefined, path: string): string {
    if (typeof value !== "string") this.fail(path, `expected a string, got ${describe(value)}`);
    return value;
  }

  optionalString(value: Json | undefined, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  boolean(value: Json | undefined, path: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") this.fail(path, `expected true or false, got ${describe(value)}`);
    return value;
  }

  integer(value: Json | undefined, path: string, fallback?: number): number {
    if ((value === undefined || value === null) && fallback !== undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) this.fail(path, `expected a non-negative integer, got ${describe(value)}`);
    return value;
  }

  /** {"String": s} or {"Regex": r}. */
  pattern(value: Json | undefined, path: string): { string: string } | { regex: string } {
    const o = this.object(value, path);
    if (typeof o.String === "string") return { string: o.String };
    if (typeof o.Regex === "string") return { regex: o.Regex };
    return this.fail(path, `expected {"String": …} or {"Regex": …}, got ${describe(value)}`);
  }

  type(o: JsonObject, path: string): string {
    return this.string(o.type, `${path}.type`);
  }

  unsupported(path: string, kind: string, type: string): never {
    return this.fail(path, `unsupported ${kind} type "${type}"`);
  }
}

function describe(value: Json | undefined): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Wraps regex translation errors as format errors. */
function withRegex<T>(r: JsonReader, path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    return r.fail(path, `cannot use the regex: ${(error as Error).message}`);
  }
}

function parseNormalizer(r: JsonReader, value: Json | undefined, path: string): Normalizer | undefined {
  if (value === undefined || value === null) return undefined;
  const o = r.object(value, path);
  const type = r.type(o, path);
  switch (type) {
    case "Sequence":
      return new SequenceNormalizer(
        r.array(o.normalizers, `${path}.normalizers`).map((n, i) => parseNormalizer(r, n, `${path}.normalizers[${i}]`)!).filter((n) => n !== undefined),
      );
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD":
      return new UnicodeNormalizer(type);
    case "Lowercase":
      return new LowercaseNormalizer();
    case "Strip":
      return new StripNormalizer(r.boolean(o.strip_left, `${path}.strip_left`, true), r.boolean(o.strip_right, `${path}.strip_right`, true));
    case "StripAccents":
      return new StripAccentsNormalizer();
    case "Replace":
      return withRegex(r, path, () => new ReplaceNormalizer(r.pattern(o.pattern, `${path}.pattern`), r.string(o.content, `${path}.content`)));
    case "Prepend":
      return new PrependNormalizer(r.string(o.prepend, `${path}.prepend`));
    case "Precompiled": {
      const where = `${path}.precompiled_charsmap`;
      const blob = base64Bytes(r, r.string(o.precompiled_charsmap ?? "", where), where);
      return new PrecompiledNormalizer(blob.length === 0 ? PrecompiledCharsmap.identity() : PrecompiledCharsmap.parse(blob, r.file, where));
    }
    case "BertNormalizer": {
      const lowercase = r.boolean(o.lowercase, `${path}.lowercase`, true);
      return new BertNormalizer({
        cleanText: r.boolean(o.clean_text, `${path}.clean_text`, true),
        handleChineseChars: r.boolean(o.handle_chinese_chars, `${path}.handle_chinese_chars`, true),
        stripAccents: o.strip_accents === undefined || o.strip_accents === null ? null : r.boolean(o.strip_accents, `${path}.strip_accents`, lowercase),
        lowercase,
      });
    }
    default:
      return r.unsupported(path, "normalizer", type);
  }
}

/** Decodes standard base64 (as serde writes the Precompiled charsmap). */
function base64Bytes(r: JsonReader, text: string, path: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) r.fail(path, "not valid base64");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const SPLIT_BEHAVIORS = new Set(["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]);

function splitBehavior(r: JsonReader, value: Json | undefined, path: string, fallback: SplitBehavior): SplitBehavior {
  if (value === undefined || value === null) return fallback;
  const s = r.string(value, path);
  if (!SPLIT_BEHAVIORS.has(s)) r.fail(path, `unknown split behavior "${s}"`);
  return s as SplitBehavior;
}

function prependScheme(r: JsonReader, o: JsonObject, path: string): PrependScheme {
  if (o.prepend_scheme !== undefined && o.prepend_scheme !== null) {
    const s = r.string(o.prepend_scheme, `${path}.prepend_scheme`);
    if (s !== "always" && s !== "first" && s !== "never") r.fail(`${path}.prepend_scheme`, `expected "always", "first" or "never", got "${s}"`);
    return s;
  }
  return r.boolean(o.add_prefix_space, `${path}.add_prefix_space`, true) ? "always" : "never";
}

/** Metaspace's replacement: one character, "▁" by default. */
function replacementChar(r: JsonReader, o: JsonObject, path: string): string {
  const replacement = r.string(o.replacement ?? "\u2581", `${path}.replacement`);
  if (Array.from(replacement).length !== 1) r.fail(`${path}.replacement`, `expected a single character, got ${describe(replacement)}`);
  return replacement;
}

function parsePreTokenizer(r: JsonReader, value: Json | undefined, path: string): PreTokenizer | undefined {
  if (value === undefined || value === null) return undefined;
  const o = r.object(value, path);
  const type = r.type(o, path);
  switch (type) {
    case "Sequence":
      return new SequencePreTokenizer(
        r.array(o.pretokenizers, `${path}.pretokenizers`).flatMap((p, i) => parsePreTokenizer(r, p, `${path}.pretokenizers[${i}]`) ?? []),
      );
    case "ByteLevel":
      return new ByteLevelPreTokenizer(r.boolean(o.add_prefix_space, `${path}.add_prefix_space`, true), r.boolean(o.use_regex, `${path}.use_regex`, true));
    case "Split":
      return withRegex(
        r,
        path,
        () =>
          new SplitPreTokenizer(
            r.pattern(o.pattern, `${path}.pattern`),
            splitBehavior(r, o.behavior, `${path}.behavior`, "Isolated"),
            r.boolean(o.invert, `${path}.invert`, false),
          ),
      );
    case "Whitespace":
      return new WhitespacePreTokenizer();
    case "WhitespaceSplit":
      return new WhitespaceSplitPreTokenizer();
    case "BertPreTokenizer":
      return new BertPreTokenizer();
    case "Metaspace":
      return new MetaspacePreTokenizer(replacementChar(r, o, path), prependScheme(r, o, path), r.boolean(o.split, `${path}.split`, true));
    case "Digits":
      return new DigitsPreTokenizer(r.boolean(o.individual_digits, `${path}.individual_digits`, false));
    case "Punctuation":
      return new PunctuationPreTokenizer(splitBehavior(r, o.behavior, `${path}.behavior`, "Isolated"));
    default:
      return r.unsupported(path, "pre_tokenizer", type);
  }
}

function usesByteLevel(value: Json | undefined): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  if (value.type === "ByteLevel") return true;
  return Array.isArray(value.pretokenizers) && value.pretokenizers.some(usesByteLevel);
}

function parseDecoder(r: JsonReader, value: Json | undefined, path: string): DecoderSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const o = r.object(value, path);
  const type = r.type(o, path);
  switch (type) {
    case "ByteLevel":
    case "ByteFallback":
    case "Fuse":
      return { type };
    case "Replace":
      return { type, pattern: r.pattern(o.pattern, `${path}.pattern`), content: r.string(o.content, `${path}.content`) };
    case "Strip": {
      const content = r.string(o.content, `${path}.content`);
      if (Array.from(content).length !== 1) r.fail(`${path}.content`, "expected a single character");
      return { type, content, start: r.integer(o.start, `${path}.start`, 0), stop: r.integer(o.stop, `${path}.stop`, 0) };
    }
    case "Metaspace":
      return { type, replacement: replacementChar(r, o, path), prependScheme: prependScheme(r, o, path) };
    case "WordPiece":
      return { type, prefix: r.string(o.prefix ?? "##", `${path}.prefix`), cleanup: r.boolean(o.cleanup, `${path}.cleanup`, true) };
    case "BPEDecoder":
      return { type, suffix: r.string(o.suffix ?? "</w>", `${path}.suffix`) };
    case "Sequence":
      return { type, decoders: r.array(o.decoders, `${path}.decoders`).flatMap((d, i) => parseDecoder(r, d, `${path}.decoders[${i}]`) ?? []) };
    default:
      return r.unsupported(path, "decoder", type);
  }
}

function parseVocab(r: JsonReader, value: Json | undefined, path: string): Map<string, number> {
  const o = r.object(value, path);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(o)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) r.fail(`${path}[${JSON.stringify(token)}]`, `expected a non-negative integer id, got ${describe(id)}`);
    vocab.set(token, id);
  }
  return vocab;
}

function parseMerges(r: JsonReader, value: Json | undefined, path: string): [string, string][] {
  return r.array(value ?? [], path).map((m, i) => {
    if (typeof m === "string") {
      const space = m.indexOf(" ", 1);
      if (space < 0) r.fail(`${path}[${i}]`, `expected "left right", got ${describe(m)}`);
      return [m.slice(0, space), m.slice(space + 1)];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
    return r.fail(`${path}[${i}]`, `expected "left right" or ["left", "right"], got ${describe(m)}`);
  });
}

/** A Unigram vocabulary: [piece, score] pairs, the index being the id. */
function parseUnigramVocab(r: JsonReader, value: Json | undefined): UnigramPiece[] {
  return r.array(value, "model.vocab").map((entry, i) => {
    const path = `model.vocab[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 2) r.fail(path, `expected [piece, score], got ${describe(entry)}`);
    const [piece, score] = entry as Json[];
    if (typeof score !== "number" || !Number.isFinite(score)) r.fail(`${path}[1]`, `expected a finite score, got ${describe(score)}`);
    return { piece: r.string(piece, `${path}[0]`), score: score as number, kind: "normal" };
  });
}

function parseModel(r: JsonReader, value: Json | undefined, byteLevel: boolean): TokenizerModel {
  const o = r.object(value, "model");
  const inferred = o.merges !== undefined ? "BPE" : o.max_input_chars_per_word !== undefined ? "WordPiece" : Array.isArray(o.vocab) ? "Unigram" : undefined;
  const type = typeof o.type === "string" ? o.type : inferred;
  if (type === undefined) r.fail("model.type", "missing, and the model is neither BPE (merges), WordPiece nor Unigram ([piece, score] vocab)");
  if (type === "BPE") {
    if (o.dropout !== undefined && o.dropout !== null && o.dropout !== 0) r.fail("model.dropout", `BPE dropout ${describe(o.dropout)} is not supported (it makes encoding random)`);
    return new BpeModel({
      vocab: parseVocab(r, o.vocab, "model.vocab"),
      merges: parseMerges(r, o.merges, "model.merges"),
      unkToken: r.optionalString(o.unk_token, "model.unk_token"),
      continuingSubwordPrefix: r.optionalString(o.continuing_subword_prefix, "model.continuing_subword_prefix"),
      endOfWordSuffix: r.optionalString(o.end_of_word_suffix, "model.end_of_word_suffix"),
      fuseUnk: r.boolean(o.fuse_unk, "model.fuse_unk", false),
      byteFallback: r.boolean(o.byte_fallback, "model.byte_fallback", false),
      ignoreMerges: r.boolean(o.ignore_merges, "model.ignore_merges", false),
      byteLevel,
      file: r.file,
    });
  }
  if (type === "WordPiece") {
    return new WordPieceModel({
      vocab: parseVocab(r, o.vocab, "model.vocab"),
      unkToken: r.string(o.unk_token ?? "[UNK]", "model.unk_token"),
      continuingSubwordPrefix: r.string(o.continuing_subword_prefix ?? "##", "model.continuing_subword_prefix"),
      maxInputCharsPerWord: r.integer(o.max_input_chars_per_word, "model.max_input_chars_per_word", 100),
      file: r.file,
    });
  }
  if (type === "Unigram") {
    const pieces = parseUnigramVocab(r, o.vocab);
    const unkId = o.unk_id === undefined || o.unk_id === null ? undefined : r.integer(o.unk_id, "model.unk_id");
    if (unkId !== undefined && unkId >= pieces.length) r.fail("model.unk_id", `${unkId} is not an id of the ${pieces.length}-entry vocab`);
    return new UnigramModel({ pieces, unkId, byteFallback: r.boolean(o.byte_fallback, "model.byte_fallback", false), lattice: "tokenizers", file: r.file });
  }
  return r.unsupported("model", "model", type);
}

function parseAddedTokens(r: JsonReader, value: Json | undefined): AddedToken[] {
  if (value === undefined || value === null) return [];
  return r.array(value, "added_tokens").map((t, i) => {
    const path = `added_tokens[${i}]`;
    const o = r.object(t, path);
    const special = r.boolean(o.special, `${path}.special`, false);
    return {
      id: r.integer(o.id, `${path}.id`),
      content: r.string(o.content, `${path}.content`),
      special,
      singleWord: r.boolean(o.single_word, `${path}.single_word`, false),
      lstrip: r.boolean(o.lstrip, `${path}.lstrip`, false),
      rstrip: r.boolean(o.rstrip, `${path}.rstrip`, false),
      normalized: r.boolean(o.normalized, `${path}.normalized`, !special),
    };
  });
}

function parsePostProcessor(r: JsonReader, value: Json | undefined, path: string): PostProcessor | undefined {
  if (value === undefined || value === null) return undefined;
  const o = r.object(value, path);
  const type = r.type(o, path);
  switch (type) {
    case "ByteLevel":
      return new IdentityProcessor();
    case "TemplateProcessing": {
      const specials = r.object(o.special_tokens ?? {}, `${path}.special_tokens`);
      const template = (list: Json | undefined, where: string): TemplatePiece[] =>
        r.array(list, where).map((item, i) => {
          const p = r.object(item, `${where}[${i}]`);
          if (p.SpecialToken !== undefined) {
            const s = r.object(p.SpecialToken, `${where}[${i}].SpecialToken`);
            const name = r.string(s.id, `${where}[${i}].SpecialToken.id`);
            const entry = r.object(specials[name], `${path}.special_tokens[${JSON.stringify(name)}]`);
            const ids = r.array(entry.ids, `${path}.special_tokens[${JSON.stringify(name)}].ids`).map((id, k) => r.integer(id, `${path}.special_tokens[${JSON.stringify(name)}].ids[${k}]`));
            return { special: ids, typeId: r.integer(s.type_id, `${where}[${i}].SpecialToken.type_id`, 0) };
          }
          const s = r.object(p.Sequence, `${where}[${i}].Sequence`);
          const id = r.string(s.id, `${where}[${i}].Sequence.id`);
          if (id !== "A" && id !== "B") r.fail(`${where}[${i}].Sequence.id`, `expected "A" or "B", got "${id}"`);
          return { sequence: id, typeId: r.integer(s.type_id, `${where}[${i}].Sequence.type_id`, 0) };
        });
      return new TemplateProcessor(template(o.single, `${path}.single`), template(o.pair, `${path}.pair`));
    }
    case "BertProcessing":
    case "RobertaProcessing": {
      const pairOf = (v: Json | undefined, where: string): number => {
        const a = r.array(v, where);
        return r.integer(a[1], `${where}[1]`);
      };
      const cls = pairOf(o.cls, `${path}.cls`);
      const sep = pairOf(o.sep, `${path}.sep`);
      return type === "BertProcessing" ? bertProcessor(cls, sep) : robertaProcessor(cls, sep);
    }
    case "Sequence":
      return new SequenceProcessor(r.array(o.processors, `${path}.processors`).flatMap((p, i) => parsePostProcessor(r, p, `${path}.processors[${i}]`) ?? []));
    default:
      return r.unsupported(path, "post_processor", type);
  }
}

/** The content of a special-token entry of tokenizer_config.json: "<s>" or {"content": "<s>", …}. */
export function specialTokenContent(value: Json | undefined): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && !Array.isArray(value) && typeof value.content === "string") return value.content;
  return undefined;
}

/** Special-token ids: tokenizer_config.json names, else conventional names present in the vocabulary. */
export function resolveSpecialTokens(
  lookup: (token: string) => number | undefined,
  config: TokenizerConfig | undefined,
  modelUnk: string | undefined,
): SpecialTokenIds {
  const pick = (key: "bos_token" | "eos_token" | "pad_token" | "unk_token", guesses: string[]): number | undefined => {
    if (config !== undefined && key in config) {
      const content = specialTokenContent(config[key]);
      return content === undefined ? undefined : lookup(content);
    }
    for (const g of guesses) {
      const id = lookup(g);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  return {
    bos: pick("bos_token", ["<s>", "<|begin_of_text|>", "<bos>"]),
    eos: pick("eos_token", ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"]),
    pad: pick("pad_token", ["[PAD]", "<pad>"]),
    unk: pick("unk_token", modelUnk === undefined ? ["[UNK]", "<unk>"] : [modelUnk]),
  };
}

export function configModelMaxLength(config: TokenizerConfig | undefined): number | undefined {
  const v = config?.model_max_length;
  return typeof v === "number" && Number.isInteger(v) && v > 0 && v < 1e12 ? v : undefined;
}

/**
 * Builds a tokenizer from the parsed contents of tokenizer.json and, when
 * present, tokenizer_config.json. `file` names the source in error messages.
 */
export function tokenizerFromJson(json: Json, config?: TokenizerConfig, file = "tokenizer.json"): HfTokenizer {
  const r = new JsonReader(file);
  const root = r.object(json, "(root)");
  if (root.model === undefined) r.fail("model", "missing");
  if (root.truncation !== undefined && root.truncation !== null) r.object(root.truncation, "truncation");
  const normalizer = parseNormalizer(r, root.normalizer, "normalizer");
  const preTokenizer = parsePreTokenizer(r, root.pre_tokenizer, "pre_tokenizer");
  const model = parseModel(r, root.model, usesByteLevel(root.pre_tokenizer));
  const added = parseAddedTokens(r, root.added_tokens);
  const addedTokens = new AddedVocabulary(added);
  const decoder = parseDecoder(r, root.decoder, "decoder");
  const lookup = (token: string): number | undefined => addedTokens.idOf(token) ?? model.tokenToId(token);
  const modelObject = r.object(root.model, "model");
  const modelUnk = model instanceof UnigramModel ? (model.unkId === undefined ? undefined : model.idToToken(model.unkId)) : typeof modelObject.unk_token === "string" ? modelObject.unk_token : undefined;
  const specialTokens = resolveSpecialTokens(lookup, config, modelUnk);
  let postProcessor = parsePostProcessor(r, root.post_processor, "post_processor");
  // transformers' Llama/Gemma fast tokenizers rebuild the template from add_bos_token / add_eos_token;
  // without a post_processor, those flags are the only word on special tokens.
  const llamaLike = typeof config?.tokenizer_class === "string" && /^(Code)?(Llama|Gemma)TokenizerFast$|^(Code)?(Llama|Gemma)Tokenizer$/.test(config.tokenizer_class);
  const flagsGiven = typeof config?.add_bos_token === "boolean" || typeof config?.add_eos_token === "boolean";
  if (config !== undefined && flagsGiven && (postProcessor === undefined || llamaLike)) {
    const addBos = config.add_bos_token === true || (llamaLike && config.add_bos_token === undefined);
    postProcessor = bosEosProcessor(addBos ? specialTokens.bos : undefined, config.add_eos_token === true ? specialTokens.eos : undefined);
  }
  return new HfTokenizer({
    source: file,
    normalizer,
    preTokenizer,
    model,
    postProcessor: postProcessor ?? new IdentityProcessor(),
    decoder,
    addedTokens,
    specialTokens,
    cleanUpTokenizationSpaces: config?.clean_up_tokenization_spaces === true,
    modelMaxLength: configModelMaxLength(config),
  });
}
