// Finds and loads a tokenizer from disk: a directory holding tokenizer.json
// (+ tokenizer_config.json), vocab.json + merges.txt (GPT-2 style byte-level
// BPE), vocab.txt (BERT WordPiece), a SentencePiece .model (spiece.model,
// sentencepiece.bpe.model, tokenizer.model) or a llama2.c tokenizer.bin; or one
// of those files named directly. The classic-file layouts are assembled the
// way transformers' GPT2Tokenizer and BertTokenizer behave.
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ModelFormatError } from "../errors.js";
import { AddedVocabulary, type AddedToken } from "./added-tokens.js";
import { BpeModel } from "./bpe.js";
import { HfTokenizer } from "./hf-tokenizer.js";
import { parseLlama2cTokenizer, type Llama2cTokenizer } from "./llama2c-tokenizer.js";
import { BertNormalizer } from "./normalizers.js";
import { bertProcessor, bosEosProcessor, IdentityProcessor } from "./post-processor.js";
import { BertPreTokenizer, ByteLevelPreTokenizer } from "./pretokenizers.js";
import { parseSentencePieceModel } from "./sentencepiece-model.js";
import { tokenizerFromSentencePiece } from "./sentencepiece-tokenizer.js";
import {
  configModelMaxLength,
  JsonReader,
  resolveSpecialTokens,
  specialTokenContent,
  tokenizerFromJson,
  type Json,
  type TokenizerConfig,
} from "./tokenizer-json.js";
import { utf8DecodeStrict } from "./unicode-text.js";
import { WordPieceModel } from "./wordpiece.js";

export type LoadedTokenizer = HfTokenizer | Llama2cTokenizer;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Tokenizer files larger than this are refused before reading (the largest real tokenizer.json files are ~35 MB). */
const MAX_TOKENIZER_FILE_BYTES = 256 * 1024 * 1024;

/** A tokenizer file's bytes, size-checked; every failure is a ModelFormatError naming the file. */
async function readTokenizerFile(path: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ModelFormatError(path, "is not a regular file");
    if (info.size > MAX_TOKENIZER_FILE_BYTES) throw new ModelFormatError(path, `is ${info.size} bytes, more than the ${MAX_TOKENIZER_FILE_BYTES} a tokenizer file may have`);
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(path, `cannot read: ${(error as Error).message}`);
  }
}

/** A tokenizer file as strict UTF-8 text. */
async function readText(path: string): Promise<string> {
  const text = utf8DecodeStrict(await readTokenizerFile(path));
  if (text === undefined) throw new ModelFormatError(path, "is not valid UTF-8");
  return text;
}

async function readJson(path: string): Promise<Json> {
  const text = await readText(path);
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new ModelFormatError(path, `not valid JSON (${(error as Error).message})`);
  }
}

/** tokenizer_config.json merged over special_tokens_map.json, when either exists in `dir`. */
async function readConfig(dir: string): Promise<TokenizerConfig | undefined> {
  let config: TokenizerConfig | undefined;
  for (const name of ["special_tokens_map.json", "tokenizer_config.json"]) {
    const path = join(dir, name);
    if (!(await exists(path))) continue;
    const json = await readJson(path);
    config = { ...config, ...new JsonReader(path).object(json, "(root)") };
  }
  return config;
}

/** Added tokens listed in tokenizer_config.json `added_tokens_decoder`. */
function configAddedTokens(config: TokenizerConfig | undefined, file: string): AddedToken[] {
  const r = new JsonReader(file);
  const table = config?.added_tokens_decoder;
  if (table === undefined || table === null) return [];
  return Object.entries(r.object(table, "added_tokens_decoder")).map(([id, value]) => {
    const path = `added_tokens_decoder[${JSON.stringify(id)}]`;
    const o = r.object(value, path);
    const special = r.boolean(o.special, `${path}.special`, false);
    return {
      id: r.integer(Number(id), `${path} (id)`),
      content: r.string(o.content, `${path}.content`),
      special,
      singleWord: r.boolean(o.single_word, `${path}.single_word`, false),
      lstrip: r.boolean(o.lstrip, `${path}.lstrip`, false),
      rstrip: r.boolean(o.rstrip, `${path}.rstrip`, false),
      normalized: r.boolean(o.normalized, `${path}.normalized`, !special),
    };
  });
}

/** Special tokens named in the config (bos/eos/unk/pad/cls/sep/mask) that are in the vocabulary and not yet added. */
function configSpecialTokens(config: TokenizerConfig | undefined, vocab: ReadonlyMap<string, number>, known: AddedToken[]): AddedToken[] {
  const out: AddedToken[] = [];
  for (const key of ["bos_token", "eos_token", "unk_token", "pad_token", "cls_token", "sep_token", "mask_token"]) {
    const content = specialTokenContent(config?.[key]);
    const id = content === undefined ? undefined : vocab.get(content);
    if (content === undefined || id === undefined || known.some((t) => t.content === content) || out.some((t) => t.content === content)) continue;
    out.push({ id, content, special: true, singleWord: false, lstrip: false, rstrip: false, normalized: false });
  }
  return out;
}

/** GPT-2 style vocab.json + merges.txt: byte-level BPE with the GPT-2 regex. */
export async function loadVocabMergesTokenizer(vocabPath: string, mergesPath: string): Promise<HfTokenizer> {
  const dir = dirname(vocabPath);
  const config = await readConfig(dir);
  const r = new JsonReader(vocabPath);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(r.object(await readJson(vocabPath), "(root)"))) {
    vocab.set(token, r.integer(id, JSON.stringify(token)));
  }
  const merges: [string, string][] = [];
  (await readText(mergesPath)).split("\n").forEach((line, i) => {
    const text = line.replace(/\r$/, "");
    if (text === "" || (i === 0 && text.startsWith("#version"))) return;
    const parts = text.split(" ");
    if (parts.length !== 2) throw new ModelFormatError(mergesPath, `line ${i + 1}: expected "left right", got ${JSON.stringify(text.slice(0, 60))}`);
    merges.push([parts[0]!, parts[1]!]);
  });
  const model = new BpeModel({ vocab, merges, byteLevel: true, file: `${vocabPath} + ${mergesPath}` });
  const fromConfig = configAddedTokens(config, join(dir, "tokenizer_config.json"));
  const added = new AddedVocabulary([...fromConfig, ...configSpecialTokens(config, vocab, fromConfig)]);
  const lookup = (t: string): number | undefined => added.idOf(t) ?? vocab.get(t);
  const specialTokens = resolveSpecialTokens(lookup, config, undefined);
  return new HfTokenizer({
    source: vocabPath,
    normalizer: undefined,
    preTokenizer: new ByteLevelPreTokenizer(config?.add_prefix_space === true, true),
    model,
    postProcessor:
      config?.add_bos_token === true || config?.add_eos_token === true
        ? bosEosProcessor(config.add_bos_token === true ? specialTokens.bos : undefined, config.add_eos_token === true ? specialTokens.eos : undefined)
        : new IdentityProcessor(),
    decoder: { type: "ByteLevel" },
    addedTokens: added,
    specialTokens,
    cleanUpTokenizationSpaces: config?.clean_up_tokenization_spaces === true,
    modelMaxLength: configModelMaxLength(config),
  });
}

/** BERT vocab.txt (one token per line, id = line number): WordPiece with BertNormalizer and [CLS]/[SEP]. */
export async function loadVocabTxtTokenizer(vocabPath: string): Promise<HfTokenizer> {
  const dir = dirname(vocabPath);
  const config = await readConfig(dir);
  const vocab = new Map<string, number>();
  const lines = (await readText(vocabPath)).split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, id) => {
    const token = line.replace(/\r$/, "");
    if (!vocab.has(token)) vocab.set(token, id);
  });
  const name = (key: string, fallback: string): string => specialTokenContent(config?.[key]) ?? fallback;
  const lowercase = config?.do_lower_case !== false;
  const model = new WordPieceModel({ vocab, unkToken: name("unk_token", "[UNK]"), continuingSubwordPrefix: "##", maxInputCharsPerWord: 100, file: vocabPath });
  const fromConfig = configAddedTokens(config, join(dir, "tokenizer_config.json"));
  const defaults: TokenizerConfig = { unk_token: "[UNK]", pad_token: "[PAD]", cls_token: "[CLS]", sep_token: "[SEP]", mask_token: "[MASK]", ...config };
  const added = new AddedVocabulary([...fromConfig, ...configSpecialTokens(defaults, vocab, fromConfig)]);
  const lookup = (t: string): number | undefined => added.idOf(t) ?? vocab.get(t);
  const cls = lookup(name("cls_token", "[CLS]"));
  const sep = lookup(name("sep_token", "[SEP]"));
  return new HfTokenizer({
    source: vocabPath,
    normalizer: new BertNormalizer({
      cleanText: true,
      handleChineseChars: config?.tokenize_chinese_chars !== false,
      stripAccents: typeof config?.strip_accents === "boolean" ? config.strip_accents : null,
      lowercase,
    }),
    preTokenizer: new BertPreTokenizer(),
    model,
    postProcessor: cls !== undefined && sep !== undefined ? bertProcessor(cls, sep) : new IdentityProcessor(),
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    addedTokens: added,
    specialTokens: resolveSpecialTokens(lookup, { bos_token: null, eos_token: null, ...defaults }, undefined),
    cleanUpTokenizationSpaces: config?.clean_up_tokenization_spaces !== false,
    modelMaxLength: configModelMaxLength(config),
  });
}

/** Loads a llama2.c tokenizer.bin. */
export async function loadLlama2cTokenizer(path: string): Promise<Llama2cTokenizer> {
  return parseLlama2cTokenizer(await readTokenizerFile(path), path);
}

/** SentencePiece model files, in the order a folder is searched for them. */
const SENTENCEPIECE_FILES = ["tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "sentencepiece.model"];

/**
 * Loads a SentencePiece .model file (encoding as sentencepiece does) with the
 * tokenizer_config.json / special_tokens_map.json beside it.
 */
export async function loadSentencePieceTokenizer(path: string): Promise<HfTokenizer> {
  const dir = dirname(path);
  const config = await readConfig(dir);
  const configFile = join(dir, "tokenizer_config.json");
  const model = parseSentencePieceModel(new Uint8Array(await readFile(path)), path);
  return tokenizerFromSentencePiece(model, config, configAddedTokens(config, configFile), configFile);
}

/** Loads tokenizer.json with the tokenizer_config.json / special_tokens_map.json beside it. */
export async function loadTokenizerJson(path: string): Promise<HfTokenizer> {
  return tokenizerFromJson(await readJson(path), await readConfig(dirname(path)), path);
}

/**
 * Loads the tokenizer in a model directory, or the tokenizer file named:
 * tokenizer.json, vocab.json (+ merges.txt beside it), vocab.txt, a
 * SentencePiece .model or a llama2.c tokenizer.bin.
 */
export async function loadTokenizer(pathOrDir: string): Promise<LoadedTokenizer> {
  let info;
  try {
    info = await stat(pathOrDir);
  } catch {
    throw new ModelFormatError(pathOrDir, "no such file or directory");
  }
  if (info.isDirectory()) {
    const dir = pathOrDir;
    if (await exists(join(dir, "tokenizer.json"))) return loadTokenizerJson(join(dir, "tokenizer.json"));
    if ((await exists(join(dir, "vocab.json"))) && (await exists(join(dir, "merges.txt")))) {
      return loadVocabMergesTokenizer(join(dir, "vocab.json"), join(dir, "merges.txt"));
    }
    if (await exists(join(dir, "vocab.txt"))) return loadVocabTxtTokenizer(join(dir, "vocab.txt"));
    for (const name of SENTENCEPIECE_FILES) if (await exists(join(dir, name))) return loadSentencePieceTokenizer(join(dir, name));
    const llama2c = (await readdir(dir)).filter((f) => f === "tokenizer.bin" || /^tok\d+\.bin$/.test(f)).sort();
    if (llama2c.length > 0) return loadLlama2cTokenizer(join(dir, llama2c[0]!));
    throw new ModelFormatError(
      dir,
      `no tokenizer found: expected tokenizer.json, vocab.json + merges.txt, vocab.txt, a SentencePiece model (${SENTENCEPIECE_FILES.join(", ")}) or a llama2.c tokenizer.bin / tok<N>.bin`,
    );
  }
  const name = basename(pathOrDir);
  if (name === "vocab.txt") return loadVocabTxtTokenizer(pathOrDir);
  if (name === "vocab.json") return loadVocabMergesTokenizer(pathOrDir, join(dirname(pathOrDir), "merges.txt"));
  if (name.endsWith(".json")) return loadTokenizerJson(pathOrDir);
  if (name.endsWith(".bin")) return loadLlama2cTokenizer(pathOrDir);
  if (name.endsWith(".model")) return loadSentencePieceTokenizer(pathOrDir);
  throw new ModelFormatError(pathOrDir, "unknown tokenizer file: expected tokenizer.json, vocab.json, vocab.txt, a SentencePiece .model or a llama2.c .bin");
}
